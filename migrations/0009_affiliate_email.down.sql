DROP INDEX IF EXISTS affiliates_tenant_email;
ALTER TABLE affiliates DROP COLUMN IF EXISTS email_duplicate;
