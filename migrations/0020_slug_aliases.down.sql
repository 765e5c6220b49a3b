DROP TRIGGER tenants_slug_alias ON tenants;
DROP FUNCTION tenants_slug_alias();
DROP TABLE tenant_slug_aliases;
