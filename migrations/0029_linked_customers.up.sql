-- "Linked customers" counts people, not thank-you calls: link_days gains
-- customers, the emails linked for the first time on that day (a reload of
-- the thank-you page, or the same customer buying again, links the same
-- email again and counts once, on its first day).
ALTER TABLE link_days ADD COLUMN customers bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION customer_links_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM new_links ORDER BY 1) t;
    INSERT INTO link_days (tenant_id, day, links, customers)
    SELECT n.tenant_id, (n.created_at AT TIME ZONE rollup_timezone(n.tenant_id))::date, count(*),
        count(*) FILTER (WHERE NOT EXISTS (
            SELECT 1 FROM customer_links o
            WHERE o.tenant_id = n.tenant_id AND o.external_cid = n.external_cid
                AND (o.created_at, o.id) < (n.created_at, n.id)))
    FROM new_links n GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (tenant_id, day) DO UPDATE SET links = link_days.links + excluded.links,
        customers = link_days.customers + excluded.customers;
    RETURN NULL;
END;
$$;

-- Links written before this migration, in each tenant's rollup timezone.
UPDATE link_days d SET customers = f.customers
FROM (
    SELECT tenant_id, (created_at AT TIME ZONE rollup_timezone(tenant_id))::date AS day, count(*) AS customers
    FROM (SELECT tenant_id, created_at,
            row_number() OVER (PARTITION BY tenant_id, external_cid ORDER BY created_at, id) AS n
          FROM customer_links) l
    WHERE n = 1 GROUP BY 1, 2
) f
WHERE d.tenant_id = f.tenant_id AND d.day = f.day;
