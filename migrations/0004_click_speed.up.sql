-- Click ingestion at speed (store.RecordClicks, store/rollup.go).
--
-- Visitor-days: one row per visitor (keyed hash) and tenant-local day, for
-- the tenant and for each affiliate. A batch of clicks inserts them with
-- ON CONFLICT DO NOTHING RETURNING: a returned row is a visitor's first
-- click of that day, counted once in `uniques` however the batches
-- interleave, and without a plan-dependent probe of clicks. Only recent
-- days are kept (click_visitor_days_from(); older rows are pruned): clicks
-- are recorded "now", and a click of an older day (a backfill) is checked
-- against clicks instead.
CREATE TABLE click_visitor_days (
    tenant_id    text NOT NULL,
    day          date NOT NULL,
    visitor_hash bytea NOT NULL,
    PRIMARY KEY (tenant_id, day, visitor_hash)
);
CREATE TABLE affiliate_visitor_days (
    tenant_id    text NOT NULL,
    day          date NOT NULL,
    affiliate_id text NOT NULL,
    visitor_hash bytea NOT NULL,
    PRIMARY KEY (tenant_id, day, affiliate_id, visitor_hash)
);

-- The first day the visitor-day tables hold completely: rows of earlier days
-- may be pruned. A batch trusts them only from the day after
-- (click_visitor_days_covered), so a prune running while a batch commits
-- can never remove a row that batch relies on.
CREATE FUNCTION click_visitor_days_from() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'UTC')::date - 3;
$$;
CREATE FUNCTION click_visitor_days_covered() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT click_visitor_days_from() + 1;
$$;

-- Click rollups are sharded by batch writer: concurrent writers update
-- different rows (no row-lock queue between them, so their commits share a
-- WAL flush); readers sum the shards.
ALTER TABLE click_days ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE click_days DROP CONSTRAINT click_days_pkey, ADD PRIMARY KEY (tenant_id, day, shard);
ALTER TABLE affiliate_click_days ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE affiliate_click_days DROP CONSTRAINT affiliate_click_days_pkey,
    ADD PRIMARY KEY (tenant_id, day, affiliate_id, shard);

-- Backfill the recent days from the clicks (index on tenant and time).
INSERT INTO click_visitor_days (tenant_id, day, visitor_hash)
SELECT DISTINCT c.tenant_id, c.day, c.visitor_hash
FROM tenants t CROSS JOIN LATERAL (
    SELECT c.tenant_id, (c.created_at AT TIME ZONE rollup_timezone(t.id))::date AS day, c.visitor_hash
    FROM clicks c WHERE c.tenant_id = t.id AND c.created_at >= now() - interval '5 days'
) c
WHERE c.day >= click_visitor_days_from();
INSERT INTO affiliate_visitor_days (tenant_id, day, affiliate_id, visitor_hash)
SELECT DISTINCT c.tenant_id, c.day, c.affiliate_id, c.visitor_hash
FROM tenants t CROSS JOIN LATERAL (
    SELECT c.tenant_id, (c.created_at AT TIME ZONE rollup_timezone(t.id))::date AS day, c.affiliate_id, c.visitor_hash
    FROM clicks c WHERE c.tenant_id = t.id AND c.created_at >= now() - interval '5 days'
) c
WHERE c.day >= click_visitor_days_from();
