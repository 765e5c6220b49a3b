-- A browser's report that the merchant's server reported again (SPEC
-- section 14) is replaced in place, unless a payout already holds it (the
-- merchant approved it by hand): then it is rejected, so the payouts'
-- ledger takes back what it paid, and the trusted report is stored beside
-- it as a new conversion that replaced_by names. Only a conversion that
-- nothing replaced answers for its type and externalId.
ALTER TABLE conversions ADD COLUMN replaced_by text;
DROP INDEX conversions_tracker_external;
CREATE UNIQUE INDEX conversions_tracker_external ON conversions (tenant_id, conversion_type, external_id)
    WHERE origin = 'tracker' AND external_id <> '' AND replaced_by IS NULL;
