-- Restore the visitor-day tables of 0004, refilled from the recent clicks.
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
CREATE FUNCTION click_visitor_days_from() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'UTC')::date - 3;
$$;
CREATE FUNCTION click_visitor_days_covered() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT click_visitor_days_from() + 1;
$$;
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
