-- The sync finds a charge's facts through the invoice it paid (newer API
-- versions only say which invoice a charge paid by matching): index it.
CREATE INDEX stripe_charges_invoice ON stripe_charges (account_id, livemode, invoice_id) WHERE invoice_id <> '';

-- conversion_days was kept by row triggers: one upsert per conversion
-- written. The sync writes conversions a page at a time, so statement
-- triggers over the transition tables do the same work in one upsert per
-- statement. Updates that move no number net out to nothing.
DROP TRIGGER conversions_rollup_insert ON conversions;
DROP TRIGGER conversions_rollup_update ON conversions;
DROP TRIGGER conversions_rollup_delete ON conversions;

CREATE FUNCTION conversions_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION conversions_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION conversions_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER conversions_rollup_insert AFTER INSERT ON conversions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversions_rollup_inserted();
CREATE TRIGGER conversions_rollup_update AFTER UPDATE ON conversions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversions_rollup_updated();
CREATE TRIGGER conversions_rollup_delete AFTER DELETE ON conversions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversions_rollup_deleted();
