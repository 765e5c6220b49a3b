-- Stripe as merchants really run it (SPEC 13).
--
-- last_connect_at: the latest settings save that connected (or confirmed)
-- the connection. Only an account.application.deauthorized event created
-- at or after it disconnects: an older one, retried after a reinstall,
-- does not. Existing connections count from when they were connected.
ALTER TABLE stripe_connections ADD COLUMN last_connect_at timestamptz NOT NULL DEFAULT now();
UPDATE stripe_connections SET last_connect_at = connected_at;
-- refused_since: the start of an unbroken run of checks Stripe refused
-- (401/403: a rolled key, an account the key cannot read). The connection
-- stays connected and is tried at every check; NULL once a check passes
-- Stripe's door again.
ALTER TABLE stripe_connections ADD COLUMN refused_since timestamptz;
