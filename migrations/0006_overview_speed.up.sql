-- The overview read conversion_days (a row per day, affiliate, currency
-- and status: nearly a row per conversion) three times per page. A
-- tenant-level daily table answers the totals and the chart; covering
-- indexes answer the per-affiliate sums from the index alone.

CREATE TABLE tenant_conversion_days (
    tenant_id   text NOT NULL,
    day         date NOT NULL,
    currency    text NOT NULL,
    status      text NOT NULL,
    conversions bigint NOT NULL DEFAULT 0,
    amount      bigint NOT NULL DEFAULT 0,
    commission  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, currency, status)
);
INSERT INTO tenant_conversion_days (tenant_id, day, currency, status, conversions, amount, commission)
SELECT tenant_id, day, currency, status, sum(conversions), sum(amount), sum(commission)
FROM conversion_days GROUP BY 1, 2, 3, 4;

DROP INDEX conversion_days_affiliate;
CREATE INDEX conversion_days_affiliate ON conversion_days (tenant_id, affiliate_id, day)
    INCLUDE (currency, status, conversions, amount, commission);
CREATE INDEX conversion_days_day ON conversion_days (tenant_id, day)
    INCLUDE (affiliate_id, currency, status, conversions, amount, commission);

-- conversion_rollups_add adds signed deltas to both conversion rollups, one
-- upsert each for the whole statement. Groups that net out to nothing are
-- skipped.
CREATE FUNCTION conversion_rollups_add(p_tenant text[], p_at timestamptz[], p_affiliate text[], p_currency text[],
    p_status text[], p_n bigint[], p_amount bigint[], p_commission bigint[]) RETURNS void LANGUAGE sql AS $$
    WITH d AS (
        SELECT t AS tenant_id, (a AT TIME ZONE rollup_timezone(t))::date AS day, af AS affiliate_id, cu AS currency,
               st AS status, n, am AS amount, co AS commission
        FROM unnest(p_tenant, p_at, p_affiliate, p_currency, p_status, p_n, p_amount, p_commission) AS u(t, a, af, cu, st, n, am, co)
    ), per_affiliate AS (
        INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
        SELECT tenant_id, day, affiliate_id, currency, status, sum(n), sum(amount), sum(commission)
        FROM d GROUP BY 1, 2, 3, 4, 5
        HAVING sum(n) <> 0 OR sum(amount) <> 0 OR sum(commission) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, day, affiliate_id, currency, status) DO UPDATE SET
            conversions = conversion_days.conversions + excluded.conversions,
            amount = conversion_days.amount + excluded.amount,
            commission = conversion_days.commission + excluded.commission
        RETURNING 1
    )
    INSERT INTO tenant_conversion_days (tenant_id, day, currency, status, conversions, amount, commission)
    SELECT tenant_id, day, currency, status, sum(n), sum(amount), sum(commission)
    FROM d GROUP BY 1, 2, 3, 4
    HAVING sum(n) <> 0 OR sum(amount) <> 0 OR sum(commission) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, day, currency, status) DO UPDATE SET
        conversions = tenant_conversion_days.conversions + excluded.conversions,
        amount = tenant_conversion_days.amount + excluded.amount,
        commission = tenant_conversion_days.commission + excluded.commission;
$$;

CREATE OR REPLACE FUNCTION conversions_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM new_rows ORDER BY 1) t;
    PERFORM conversion_rollups_add(array_agg(tenant_id), array_agg(created_at), array_agg(affiliate_id), array_agg(currency),
        array_agg(status), array_agg(1::bigint), array_agg(amount), array_agg(commission)) FROM new_rows;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION conversions_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id)
    FROM (SELECT tenant_id FROM old_rows UNION SELECT tenant_id FROM new_rows ORDER BY 1) t;
    PERFORM conversion_rollups_add(array_agg(tenant_id), array_agg(created_at), array_agg(affiliate_id), array_agg(currency),
        array_agg(status), array_agg(n), array_agg(amount), array_agg(commission))
    FROM (SELECT tenant_id, created_at, affiliate_id, currency, status, -1::bigint AS n, -amount AS amount, -commission AS commission FROM old_rows
          UNION ALL
          SELECT tenant_id, created_at, affiliate_id, currency, status, 1::bigint, amount, commission FROM new_rows) d;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION conversions_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_lock_shared(t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM old_rows ORDER BY 1) t;
    PERFORM conversion_rollups_add(array_agg(tenant_id), array_agg(created_at), array_agg(affiliate_id), array_agg(currency),
        array_agg(status), array_agg(-1::bigint), array_agg(-amount), array_agg(-commission)) FROM old_rows;
    RETURN NULL;
END;
$$;
