DROP TABLE stripe_event_failures;
DROP TABLE stripe_credit_notes;
DROP TABLE stripe_invoice_payments;
DROP TABLE stripe_refunds;
DROP INDEX stripe_charges_unlinked_intent;
ALTER TABLE stripe_charges DROP COLUMN refunded_latest_at, DROP COLUMN refunded_latest, DROP COLUMN amount_captured,
    DROP COLUMN payment_intent_id;
