-- Back to the statement triggers of 0005, which keep conversion_days only.
CREATE OR REPLACE FUNCTION conversions_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM new_rows ORDER BY 1) t;
    INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
    SELECT tenant_id, (created_at AT TIME ZONE rollup_timezone(tenant_id))::date, affiliate_id, currency, status,
           count(*), sum(amount), sum(commission)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, day, affiliate_id, currency, status) DO UPDATE SET
        conversions = conversion_days.conversions + excluded.conversions,
        amount = conversion_days.amount + excluded.amount,
        commission = conversion_days.commission + excluded.commission;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION conversions_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id)
    FROM (SELECT tenant_id FROM old_rows UNION SELECT tenant_id FROM new_rows ORDER BY 1) t;
    INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
    SELECT tenant_id, (created_at AT TIME ZONE rollup_timezone(tenant_id))::date, affiliate_id, currency, status,
           sum(n), sum(amount), sum(commission)
    FROM (SELECT tenant_id, created_at, affiliate_id, currency, status, -1 AS n, -amount AS amount, -commission AS commission FROM old_rows
          UNION ALL
          SELECT tenant_id, created_at, affiliate_id, currency, status, 1, amount, commission FROM new_rows) d
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(n) <> 0 OR sum(amount) <> 0 OR sum(commission) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, day, affiliate_id, currency, status) DO UPDATE SET
        conversions = conversion_days.conversions + excluded.conversions,
        amount = conversion_days.amount + excluded.amount,
        commission = conversion_days.commission + excluded.commission;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION conversions_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM old_rows ORDER BY 1) t;
    INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
    SELECT tenant_id, (created_at AT TIME ZONE rollup_timezone(tenant_id))::date, affiliate_id, currency, status,
           -count(*), -sum(amount), -sum(commission)
    FROM old_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, day, affiliate_id, currency, status) DO UPDATE SET
        conversions = conversion_days.conversions + excluded.conversions,
        amount = conversion_days.amount + excluded.amount,
        commission = conversion_days.commission + excluded.commission;
    RETURN NULL;
END;
$$;

DROP FUNCTION conversion_rollups_add(text[], timestamptz[], text[], text[], text[], bigint[], bigint[], bigint[]);
DROP INDEX conversion_days_day;
DROP INDEX conversion_days_affiliate;
CREATE INDEX conversion_days_affiliate ON conversion_days (tenant_id, affiliate_id, day);
DROP TABLE tenant_conversion_days;
