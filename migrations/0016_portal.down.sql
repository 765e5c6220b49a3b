DROP TABLE one_use_tokens;
DROP TABLE affiliate_sessions;
ALTER TABLE tenants DROP COLUMN slug, DROP COLUMN affiliate_approval;
DROP INDEX affiliates_tenant_status;
ALTER TABLE affiliates DROP COLUMN status, DROP COLUMN payout_email, DROP COLUMN password_hash;
