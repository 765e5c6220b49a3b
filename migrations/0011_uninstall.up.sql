-- When the Stripe App was uninstalled from a connected account
-- (account.application.deauthorized, or a check refused because the app's
-- access was revoked): the connection is inactive and the dashboard says
-- why. NULL for connections never uninstalled; cleared on reconnecting.
ALTER TABLE stripe_connections ADD COLUMN uninstalled_at timestamptz;
-- When the last check that succeeded finished (the metrics' "oldest
-- successful check" reads it); NULL before the first success.
ALTER TABLE stripe_connections ADD COLUMN last_success_at timestamptz;
