CREATE OR REPLACE FUNCTION customer_links_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM new_links ORDER BY 1) t;
    INSERT INTO link_days (tenant_id, day, links)
    SELECT n.tenant_id, (n.created_at AT TIME ZONE rollup_timezone(n.tenant_id))::date, count(*)
    FROM new_links n GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (tenant_id, day) DO UPDATE SET links = link_days.links + excluded.links;
    RETURN NULL;
END;
$$;
ALTER TABLE link_days DROP COLUMN customers;
