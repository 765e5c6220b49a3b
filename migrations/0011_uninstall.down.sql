ALTER TABLE stripe_connections DROP COLUMN last_success_at;
ALTER TABLE stripe_connections DROP COLUMN uninstalled_at;
