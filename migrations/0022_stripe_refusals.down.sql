ALTER TABLE stripe_connections DROP COLUMN refused_since;
ALTER TABLE stripe_connections DROP COLUMN last_connect_at;
