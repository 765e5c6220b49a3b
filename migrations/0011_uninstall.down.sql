ALTER TABLE stripe_connections DROP COLUMN uninstalled_at;
