DELETE FROM conversions WHERE origin = 'tracker';
DROP INDEX conversions_tenant_origin;
DROP INDEX conversions_tracker_external;
ALTER TABLE conversions
    DROP COLUMN origin,
    DROP COLUMN conversion_type,
    DROP COLUMN external_id,
    DROP COLUMN customer_id,
    DROP COLUMN custom_params;
ALTER TABLE tenants DROP COLUMN max_conversion_amount;
DROP TABLE conversion_types;
