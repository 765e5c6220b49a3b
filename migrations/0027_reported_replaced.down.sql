-- The replaced conversions give up their externalId, so that one
-- conversion per tenant, type and externalId holds again.
UPDATE conversions SET external_id = '' WHERE replaced_by IS NOT NULL;
DROP INDEX conversions_tracker_external;
CREATE UNIQUE INDEX conversions_tracker_external ON conversions (tenant_id, conversion_type, external_id)
    WHERE origin = 'tracker' AND external_id <> '';
ALTER TABLE conversions DROP COLUMN replaced_by;
