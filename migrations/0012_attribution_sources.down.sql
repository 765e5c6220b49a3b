ALTER TABLE conversions DROP COLUMN coupon, DROP COLUMN source;
ALTER TABLE stripe_customer_attributions DROP COLUMN coupon, DROP COLUMN source;
DROP TABLE stripe_promotion_codes;
DROP TABLE stripe_attribution_hints;
DROP INDEX stripe_payments_intent;
ALTER TABLE stripe_payments DROP COLUMN payment_intent_id, DROP COLUMN promotion_codes, DROP COLUMN click_id;
DROP TABLE affiliate_coupons;
