-- record_clicks writes a batch of clicks in one round trip (store.RecordClicks
-- and store.InsertClicks call it as a statement of its own, in autocommit):
-- a plpgsql function runs each statement with a fresh snapshot, so its query
-- sees everything committed before its locks were granted, and caches the
-- query's plan per connection. Before, the same work took four round trips
-- (BEGIN, the locks, the query, COMMIT): about 0.2 ms of CPU per batch more.
--
-- The batch comes as one array per column (positions match). For each
-- visit, in input order, it returns the click the visitor gets:
--   * p_repeats: an earlier click of the same tenant, affiliate and visitor
--     within p_window — by the cookie's click id (p_cookies) through the
--     primary key, else by the visitor hash through clicks_visitor — or a
--     new one: the first visit of each tenant, affiliate and visitor of the
--     batch without an earlier click becomes a click; the others get it.
--   * not p_repeats (imports, tools): every visit becomes its own click.
-- New clicks are inserted and added to the daily rollups (click_days,
-- affiliate_click_days) in the rows of p_shard. A new click counts as a
-- unique visitor of its tenant-local day (and of its affiliate's) unless the
-- visitor already had a click that day: the same probe of clicks_visitor
-- tells, so no other table is written per click.
--
-- Every click's affiliate exists in its tenant: the batch checks each
-- distinct (tenant, affiliate) of its own once and fails whole otherwise,
-- as the foreign key from clicks to affiliates did per row. That key goes:
-- its check cost a query and a row lock per click (FOR KEY SHARE on the
-- affiliate, which concurrent batches turn into multixacts), and its
-- ON DELETE CASCADE never fires, as affiliates are never deleted.
--
-- Exactness across concurrent batches: first the batch takes, per tenant in
-- a fixed order, the tenant's rollup lock in shared mode (a rebuild of the
-- rollups takes it exclusively; 730301, as rollup_lock_shared) and the
-- advisory locks of its visitors' buckets (p_buckets, store.VisitorBucket;
-- 730302) in ascending order. A batch sharing a visitor waits and then sees
-- this batch's clicks.
ALTER TABLE clicks DROP CONSTRAINT clicks_tenant_id_affiliate_id_fkey;

CREATE FUNCTION record_clicks(
    p_ids text[], p_tenants text[], p_affiliates text[], p_created timestamptz[], p_landing text[], p_referrers text[],
    p_utm_source text[], p_utm_medium text[], p_utm_campaign text[], p_utm_term text[], p_utm_content text[],
    p_user_agents text[], p_devices text[], p_visitors bytea[], p_cookies text[], p_buckets int[],
    p_shard smallint, p_window interval, p_repeats boolean)
RETURNS TABLE (out_ord bigint, out_id text, out_created_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM CASE WHEN l.b < 0 THEN pg_advisory_xact_lock_shared(730301, hashtext(l.t))
        ELSE pg_advisory_xact_lock(730302, hashtext(l.t || '/' || l.b)) END
    FROM (
        SELECT DISTINCT u.t, u.b
        FROM (SELECT x.t, x.b FROM unnest(p_tenants, p_buckets) AS x(t, b) UNION ALL SELECT x.t, -1 FROM unnest(p_tenants) AS x(t)) u
        ORDER BY 1, 2
    ) l;

    IF EXISTS (
        SELECT FROM (SELECT DISTINCT x.t, x.a FROM unnest(p_tenants, p_affiliates) AS x(t, a)) x
        WHERE NOT EXISTS (SELECT FROM affiliates f WHERE f.tenant_id = x.t AND f.id = x.a)
    ) THEN
        RAISE EXCEPTION 'a click names an affiliate that does not exist in its tenant' USING ERRCODE = 'foreign_key_violation';
    END IF;

    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(p_ids, p_tenants, p_affiliates, p_created, p_landing, p_referrers,
            p_utm_source, p_utm_medium, p_utm_campaign, p_utm_term, p_utm_content, p_user_agents, p_devices, p_visitors, p_cookies)
            WITH ORDINALITY AS i(id, tenant_id, affiliate_id, created_at, landing_url, referrer,
                utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash, cookie_cid, ord)
    ), tz AS MATERIALIZED (
        SELECT t.tenant_id, coalesce(r.timezone, 'UTC') AS tz -- rollup_timezone(), inlined
        FROM (SELECT DISTINCT tenant_id FROM input) t LEFT JOIN rollup_timezones r ON r.tenant_id = t.tenant_id
    ), visit AS (
        SELECT i.*, d.day, d.day::timestamp AT TIME ZONE z.tz AS day_start, (d.day + 1)::timestamp AT TIME ZONE z.tz AS day_end
        FROM input i JOIN tz z ON z.tenant_id = i.tenant_id
        CROSS JOIN LATERAL (SELECT (i.created_at AT TIME ZONE z.tz)::date AS day) d
    ), found AS (
        SELECT v.ord, coalesce(k.id, p.id) AS old_id, coalesce(k.created_at, p.created_at) AS old_created_at,
            p.seen_tenant, p.seen_affiliate
        FROM visit v
        LEFT JOIN LATERAL ( -- the cookie's click: a probe of the primary key
            SELECT c.id, c.created_at FROM clicks c
            WHERE p_repeats AND v.cookie_cid <> '' AND c.id = v.cookie_cid AND c.tenant_id = v.tenant_id
                AND c.affiliate_id = v.affiliate_id AND c.created_at > v.created_at - p_window
            LIMIT 1
        ) k ON true
        -- The visitor's clicks of the tenant since the start of the local
        -- day (or of the window, if earlier), through clicks_visitor:
        -- appending an empty string to c.tenant_id keeps the probe off the
        -- tenant indexes whatever the statistics say (that plan reads every
        -- click of the tenant in the range).
        LEFT JOIN LATERAL (
            SELECT (array_agg(c.id ORDER BY c.created_at DESC) FILTER (WHERE p_repeats AND c.affiliate_id = v.affiliate_id
                    AND c.created_at > v.created_at - p_window))[1] AS id,
                max(c.created_at) FILTER (WHERE p_repeats AND c.affiliate_id = v.affiliate_id
                    AND c.created_at > v.created_at - p_window) AS created_at,
                coalesce(bool_or(c.created_at >= v.day_start AND c.created_at < v.day_end), false) AS seen_tenant,
                coalesce(bool_or(c.affiliate_id = v.affiliate_id AND c.created_at >= v.day_start AND c.created_at < v.day_end), false)
                    AS seen_affiliate
            FROM clicks c
            WHERE k.id IS NULL AND c.visitor_hash = v.visitor_hash AND (c.tenant_id || '') = v.tenant_id
                AND c.created_at >= CASE WHEN p_repeats THEN least(v.day_start, v.created_at - p_window) ELSE v.day_start END
        ) p ON true
    ), fresh AS (
        SELECT DISTINCT ON (v.tenant_id, v.affiliate_id, v.visitor_hash, CASE WHEN p_repeats THEN 0 ELSE v.ord END)
            v.*, f.seen_tenant, f.seen_affiliate
        FROM visit v JOIN found f ON f.ord = v.ord
        WHERE f.old_id IS NULL
        ORDER BY v.tenant_id, v.affiliate_id, v.visitor_hash, CASE WHEN p_repeats THEN 0 ELSE v.ord END, v.ord
    ), ins AS (
        INSERT INTO clicks (id, tenant_id, affiliate_id, created_at, landing_url, referrer,
            utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash)
        SELECT id, tenant_id, affiliate_id, created_at, landing_url, referrer,
            utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash
        FROM fresh ORDER BY ord
    ), cd AS (
        -- A visitor is counted once per day: not if seen that day, and once
        -- however many of the batch's new clicks are theirs.
        INSERT INTO click_days (tenant_id, day, shard, clicks, uniques)
        SELECT tenant_id, day, p_shard, count(*), count(DISTINCT visitor_hash) FILTER (WHERE NOT seen_tenant)
        FROM fresh GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (tenant_id, day, shard) DO UPDATE SET clicks = click_days.clicks + excluded.clicks,
            uniques = click_days.uniques + excluded.uniques
    ), acd AS (
        INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, shard, clicks, uniques)
        SELECT tenant_id, day, affiliate_id, p_shard, count(*), count(DISTINCT visitor_hash) FILTER (WHERE NOT seen_affiliate)
        FROM fresh GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, day, affiliate_id, shard) DO UPDATE SET clicks = affiliate_click_days.clicks + excluded.clicks,
            uniques = affiliate_click_days.uniques + excluded.uniques
    )
    SELECT f.ord, coalesce(f.old_id, n.id), coalesce(f.old_created_at, n.created_at)
    FROM found f JOIN visit i ON i.ord = f.ord
    LEFT JOIN fresh n ON f.old_id IS NULL AND n.tenant_id = i.tenant_id AND n.affiliate_id = i.affiliate_id
        AND n.visitor_hash = i.visitor_hash AND (p_repeats OR n.ord = i.ord);
END
$$;

-- The visitor probe returns a row or two per visit: a plain index scan.
-- Once the cached plan turns generic, the planner may pick a bitmap scan,
-- which builds a bitmap per visit (measured: ~3% of PostgreSQL's time).
ALTER FUNCTION record_clicks SET enable_bitmapscan = off;
