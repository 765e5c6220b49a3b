-- The merchant dashboard: sessions, the login throttle, and the daily
-- rollups its pages read instead of scanning raw clicks and conversions.

-- Sessions are stored by the SHA-256 of their 256-bit random id: a dump of
-- this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins (and sign-ups), keyed by an HMAC of what is throttled
-- (email + IP, or IP alone): neither the address nor the IP is stored.
CREATE TABLE login_attempts (
    id       bigserial PRIMARY KEY,
    key_hash bytea NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key_hash, at);
CREATE INDEX login_attempts_at ON login_attempts USING brin (at);

-- The timezone the rollups of a tenant are bucketed in. No row = UTC (a new
-- tenant's default). When the tenant's timezone changes, the rollups are
-- rebuilt and this row follows, in one transaction.
CREATE TABLE rollup_timezones (
    tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    timezone  text NOT NULL
);

-- Clicks per tenant-local day, and per affiliate and day. uniques counts
-- the clicks that were a visitor's first of that day (for the tenant, or
-- for the affiliate): a period's "unique clicks" is the sum of daily uniques.
CREATE TABLE click_days (
    tenant_id text NOT NULL,
    day       date NOT NULL,
    clicks    bigint NOT NULL DEFAULT 0,
    uniques   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);
CREATE TABLE affiliate_click_days (
    tenant_id    text NOT NULL,
    day          date NOT NULL,
    affiliate_id text NOT NULL,
    clicks       bigint NOT NULL DEFAULT 0,
    uniques      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, affiliate_id)
);
CREATE INDEX affiliate_click_days_affiliate ON affiliate_click_days (tenant_id, affiliate_id, day);

-- Conversions per tenant-local day (of the payment), affiliate, currency
-- and status. Kept by the trigger below in the transaction of every write
-- to conversions, whoever writes: a conversion changes status and amount
-- with refunds, so its old values are taken out and its new ones put in.
CREATE TABLE conversion_days (
    tenant_id    text NOT NULL,
    day          date NOT NULL,
    affiliate_id text NOT NULL,
    currency     text NOT NULL,
    status       text NOT NULL,
    conversions  bigint NOT NULL DEFAULT 0,
    amount       bigint NOT NULL DEFAULT 0,
    commission   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, affiliate_id, currency, status)
);
CREATE INDEX conversion_days_affiliate ON conversion_days (tenant_id, affiliate_id, day);

-- Email links (customer_links rows) per tenant-local day.
CREATE TABLE link_days (
    tenant_id text NOT NULL,
    day       date NOT NULL,
    links     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day)
);

-- Links are append-only in time order: a BRIN index finds a tenant's
-- recent links (the integration test page) for almost no upkeep.
CREATE INDEX customer_links_created_brin ON customer_links USING brin (created_at);

-- rollup_lock_shared takes the tenant's rollup lock in shared mode: every
-- writer of rolled-up rows holds it until commit, and a rebuild holds it
-- exclusively, so a rebuild never misses or double-counts a write.
CREATE FUNCTION rollup_lock_shared(p_tenant text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock_shared(730301, hashtext(p_tenant));
$$;

CREATE FUNCTION rollup_timezone(p_tenant text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT timezone FROM rollup_timezones WHERE tenant_id = p_tenant), 'UTC');
$$;

CREATE FUNCTION conversion_days_add(p_tenant text, p_at timestamptz, p_affiliate text, p_currency text,
    p_status text, p_n bigint, p_amount bigint, p_commission bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(p_tenant);
    INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
    VALUES (p_tenant, (p_at AT TIME ZONE rollup_timezone(p_tenant))::date, p_affiliate, p_currency, p_status,
            p_n, p_amount, p_commission)
    ON CONFLICT (tenant_id, day, affiliate_id, currency, status) DO UPDATE SET
        conversions = conversion_days.conversions + excluded.conversions,
        amount = conversion_days.amount + excluded.amount,
        commission = conversion_days.commission + excluded.commission;
END;
$$;

CREATE FUNCTION conversions_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM conversion_days_add(OLD.tenant_id, OLD.created_at, OLD.affiliate_id, OLD.currency, OLD.status,
            -1, -OLD.amount, -OLD.commission);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM conversion_days_add(NEW.tenant_id, NEW.created_at, NEW.affiliate_id, NEW.currency, NEW.status,
            1, NEW.amount, NEW.commission);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER conversions_rollup_insert AFTER INSERT ON conversions
    FOR EACH ROW EXECUTE FUNCTION conversions_rollup();
CREATE TRIGGER conversions_rollup_delete AFTER DELETE ON conversions
    FOR EACH ROW EXECUTE FUNCTION conversions_rollup();
-- Only changes that move a number: touching updated_at or manual_status
-- alone costs nothing.
CREATE TRIGGER conversions_rollup_update AFTER UPDATE ON conversions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
        OR OLD.commission IS DISTINCT FROM NEW.commission OR OLD.currency IS DISTINCT FROM NEW.currency
        OR OLD.affiliate_id IS DISTINCT FROM NEW.affiliate_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION conversions_rollup();

-- Links are inserted one at a time by the thank-you call; a statement
-- trigger over the transition table also serves bulk loads.
CREATE FUNCTION customer_links_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM new_links ORDER BY 1) t;
    INSERT INTO link_days (tenant_id, day, links)
    SELECT n.tenant_id, (n.created_at AT TIME ZONE rollup_timezone(n.tenant_id))::date, count(*)
    FROM new_links n GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (tenant_id, day) DO UPDATE SET links = link_days.links + excluded.links;
    RETURN NULL;
END;
$$;
CREATE TRIGGER customer_links_rollup AFTER INSERT ON customer_links
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION customer_links_rollup();

-- Rows written before this migration (all tenants bucket in UTC until a
-- timezone change rebuilds them).
INSERT INTO click_days (tenant_id, day, clicks, uniques)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, count(*), count(DISTINCT visitor_hash)
FROM clicks GROUP BY 1, 2;
INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, clicks, uniques)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, affiliate_id, count(*), count(DISTINCT visitor_hash)
FROM clicks GROUP BY 1, 2, 3;
INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, affiliate_id, currency, status, count(*), sum(amount), sum(commission)
FROM conversions GROUP BY 1, 2, 3, 4, 5;
INSERT INTO link_days (tenant_id, day, links)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM customer_links GROUP BY 1, 2;
