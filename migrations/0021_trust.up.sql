-- Trust (SPEC §14).
--
-- Email-link signals group linking browsers by network as well: the keyed
-- hash of the network (an IPv4 /24, an IPv6 /64) the link came from, under
-- a key derived from SECRET_KEY and the day, like visitor_hash; never the
-- address. NULL for server-side links and links made before this column.
ALTER TABLE customer_links ADD COLUMN network_hash bytea;
CREATE INDEX customer_links_network ON customer_links (tenant_id, network_hash, created_at) WHERE network_hash IS NOT NULL;

-- Names are stored without control characters (tracklane.CleanName): the
-- names stored before the rule are cleaned the same way. Line breaks, tabs
-- and other spaces become one space; other control characters and the
-- bidirectional controls are dropped; the ends are trimmed.
CREATE OR REPLACE FUNCTION pg_temp.clean_name(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT btrim(regexp_replace(
        regexp_replace(s, '[\u0001-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]', '', 'g'),
        '[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'))
$$;
UPDATE tenants SET name = pg_temp.clean_name(name) WHERE name <> pg_temp.clean_name(name) AND pg_temp.clean_name(name) <> '';
UPDATE affiliates SET name = pg_temp.clean_name(name) WHERE name <> pg_temp.clean_name(name) AND pg_temp.clean_name(name) <> '';
DROP FUNCTION pg_temp.clean_name(text);

-- Changes that the click path's caches must see at once, in every process
-- (SPEC §14: an affiliate approved, suspended or re-activated takes effect
-- on the click endpoints within 1 s): each statement that touches what
-- they hold notifies tracklane_tracker; every server listens and drops
-- its caches (store.WatchTrackerChanges). Notifications are sent at
-- commit, once per transaction and payload.
CREATE FUNCTION tracker_cache_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tracklane_tracker', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER affiliates_tracker_cache AFTER INSERT OR DELETE OR UPDATE OF status, code, landing_url, tenant_id ON affiliates
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_cache_changed();
CREATE TRIGGER tenants_tracker_cache AFTER INSERT OR DELETE OR UPDATE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_cache_changed();
