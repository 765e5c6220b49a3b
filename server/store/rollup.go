package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Rollups. The dashboard reads daily totals per tenant-local day instead of
// raw rows, so its cost does not grow with the size of clicks or
// conversions:
//
//   - click_days / affiliate_click_days: written by RecordClicks and
//     InsertClicks in the transaction of the clicks (rollupCTEs below),
//     one row per shard (batch writer) that readers sum, with the
//     visitor-days tables that decide uniques;
//   - conversion_days and tenant_conversion_days: kept by statement
//     triggers on conversions (migrations 0005, 0006),
//     so every writer of conversions keeps it right without knowing of it;
//   - link_days: kept by a statement trigger on customer_links.
//
// Days are in the tenant's rollup timezone (rollup_timezones, default
// UTC). When the tenant's timezone changes, RebuildRollups re-buckets
// everything from the raw rows under an exclusive per-tenant advisory lock;
// every incremental writer holds the same lock in shared mode, so a rebuild
// neither misses nor double-counts a concurrent write.

// lockRollupsShared takes the rollup lock of each tenant (tenants: a
// pq.Array of tenant ids, duplicates allowed) in shared mode, in a fixed
// order.
func lockRollupsShared(ctx context.Context, tx *sql.Tx, tenants any) error {
	if _, err := tx.ExecContext(ctx, `SELECT rollup_lock_shared(t) FROM (SELECT DISTINCT unnest($1::text[]) AS t ORDER BY 1) x`,
		tenants); err != nil {
		return fmt.Errorf("locking rollups: %w", err)
	}
	return nil
}

// clickShardLock is the first key of the advisory lock a click batch holds
// per tenant and shard (see RecordClicks).
const clickShardLock = 730302

// lockClickBatch takes, for each tenant of a batch in a fixed order, the
// rollup lock in shared mode and the lock of the batch's shard. It is a
// statement of its own: the batch's next statement then reads with a
// snapshot taken after the locks were granted, so it sees everything the
// previous holder committed (its clicks, or a rebuild's timezone).
func (s *Store) lockClickBatch(ctx context.Context, tx *sql.Tx, tenants any, shard int) error {
	stmt, err := s.prepared(ctx, lockClickBatchSQL)
	if err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, tenants, clickShardLock, shard); err != nil {
		return fmt.Errorf("locking click batch: %w", err)
	}
	return nil
}

const lockClickBatchSQL = `SELECT rollup_lock_shared(t), pg_advisory_xact_lock($2, hashtext(t || '/' || $3::text))
	FROM (SELECT DISTINCT unnest($1::text[]) AS t ORDER BY 1) x`

// rollupCTEs inserts the batch's new clicks (the CTE "fresh", with the
// columns of clicks plus ord) and adds them to the daily rollups, from the
// batch's own values: no re-read of clicks. It is the tail of a WITH list;
// $16 is the rollup shard. The timezone is looked up once per tenant (after
// lockRollupsShared, so a concurrent rebuild is either wholly before or
// wholly after). A click counts as unique when its visitor's row in
// click_visitor_days (affiliate_visitor_days) for that local day is new:
// ON CONFLICT DO NOTHING RETURNING decides it exactly, whichever of several
// concurrent batches commits first (the others wait on the row and then
// see it). Days before click_visitor_days_covered() — older clicks written
// by imports and tests — are checked against clicks instead. Rows are
// written in key order, so concurrent batches cannot deadlock on them.
const rollupCTEs = `tz AS MATERIALIZED (
		SELECT t.tenant_id, rollup_timezone(t.tenant_id) AS tz FROM (SELECT DISTINCT tenant_id FROM fresh) t
	), ins AS (
		INSERT INTO clicks (id, tenant_id, affiliate_id, created_at, landing_url, referrer,
			utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash)
		SELECT id, tenant_id, affiliate_id, created_at, landing_url, referrer,
			utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash
		FROM fresh ORDER BY ord
	), nd AS (
		SELECT n.tenant_id, n.affiliate_id, n.visitor_hash, d.day, z.tz, d.day >= click_visitor_days_covered() AS covered
		FROM fresh n JOIN tz z ON z.tenant_id = n.tenant_id
		CROSS JOIN LATERAL (SELECT (n.created_at AT TIME ZONE z.tz)::date AS day) d
	), tv AS (
		INSERT INTO click_visitor_days (tenant_id, day, visitor_hash)
		SELECT DISTINCT tenant_id, day, visitor_hash FROM nd WHERE covered ORDER BY 1, 2, 3
		ON CONFLICT DO NOTHING RETURNING tenant_id, day
	), av AS (
		INSERT INTO affiliate_visitor_days (tenant_id, day, affiliate_id, visitor_hash)
		SELECT DISTINCT tenant_id, day, affiliate_id, visitor_hash FROM nd WHERE covered ORDER BY 1, 2, 3, 4
		ON CONFLICT DO NOTHING RETURNING tenant_id, day, affiliate_id
	), tvo AS (
		SELECT g.tenant_id, g.day FROM (SELECT DISTINCT tenant_id, day, tz, visitor_hash FROM nd WHERE NOT covered) g
		WHERE NOT EXISTS (SELECT 1 FROM clicks o WHERE o.visitor_hash = g.visitor_hash AND o.tenant_id = g.tenant_id
			AND o.created_at >= (g.day::timestamp AT TIME ZONE g.tz) AND o.created_at < ((g.day + 1)::timestamp AT TIME ZONE g.tz))
	), avo AS (
		SELECT g.tenant_id, g.day, g.affiliate_id
		FROM (SELECT DISTINCT tenant_id, day, tz, affiliate_id, visitor_hash FROM nd WHERE NOT covered) g
		WHERE NOT EXISTS (SELECT 1 FROM clicks o WHERE o.visitor_hash = g.visitor_hash AND o.tenant_id = g.tenant_id
			AND o.affiliate_id = g.affiliate_id
			AND o.created_at >= (g.day::timestamp AT TIME ZONE g.tz) AND o.created_at < ((g.day + 1)::timestamp AT TIME ZONE g.tz))
	), cd AS (
		INSERT INTO click_days (tenant_id, day, shard, clicks, uniques)
		SELECT a.tenant_id, a.day, $16::smallint, a.clicks, coalesce(u.uniques, 0)
		FROM (SELECT tenant_id, day, count(*) AS clicks FROM nd GROUP BY 1, 2) a
		LEFT JOIN (SELECT tenant_id, day, count(*) AS uniques FROM (SELECT * FROM tv UNION ALL SELECT * FROM tvo) x GROUP BY 1, 2) u
			ON u.tenant_id = a.tenant_id AND u.day = a.day
		ORDER BY 1, 2
		ON CONFLICT (tenant_id, day, shard) DO UPDATE SET clicks = click_days.clicks + excluded.clicks,
			uniques = click_days.uniques + excluded.uniques
	), acd AS (
		INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, shard, clicks, uniques)
		SELECT a.tenant_id, a.day, a.affiliate_id, $16::smallint, a.clicks, coalesce(u.uniques, 0)
		FROM (SELECT tenant_id, day, affiliate_id, count(*) AS clicks FROM nd GROUP BY 1, 2, 3) a
		LEFT JOIN (SELECT tenant_id, day, affiliate_id, count(*) AS uniques FROM (SELECT * FROM av UNION ALL SELECT * FROM avo) x
			GROUP BY 1, 2, 3) u
			ON u.tenant_id = a.tenant_id AND u.day = a.day AND u.affiliate_id = a.affiliate_id
		ORDER BY 1, 2, 3
		ON CONFLICT (tenant_id, day, affiliate_id, shard) DO UPDATE SET clicks = affiliate_click_days.clicks + excluded.clicks,
			uniques = affiliate_click_days.uniques + excluded.uniques
	)`

// PruneVisitorDays forgets the visitor-days older than the tables keep
// (click_visitor_days_from); the click batcher calls it now and then.
func (s *Store) PruneVisitorDays(ctx context.Context) error {
	for _, table := range []string{"click_visitor_days", "affiliate_visitor_days"} {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE day < click_visitor_days_from()`); err != nil {
			return fmt.Errorf("pruning %s: %w", table, err)
		}
	}
	return nil
}

// RollupTimezone returns the timezone the tenant's rollups are bucketed in.
func (s *Store) RollupTimezone(ctx context.Context, tenantID string) (string, error) {
	var tz string
	if err := s.db.QueryRowContext(ctx, `SELECT rollup_timezone($1)`, tenantID).Scan(&tz); err != nil {
		return "", fmt.Errorf("reading rollup timezone: %w", err)
	}
	return tz, nil
}

// EnsureRollups rebuckets the tenant's rollups when its timezone is not the
// one they were built in (it was changed in settings or from the CLI). It
// costs one indexed read when nothing changed.
func (s *Store) EnsureRollups(ctx context.Context, t Tenant) error {
	tz, err := s.RollupTimezone(ctx, t.ID)
	if err != nil {
		return err
	}
	if tz == t.Timezone || t.Timezone == "" {
		return nil
	}
	return s.RebuildRollups(ctx, t.ID, t.Timezone)
}

// RebuildRollups recomputes all of a tenant's rollups from the raw rows,
// bucketed in tz, and records tz as the rollup timezone. It reads every row
// of the tenant once (seconds at millions of clicks), so it runs only when
// the timezone changes.
func (s *Store) RebuildRollups(ctx context.Context, tenantID, tz string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(730301, hashtext($1))`, tenantID); err != nil {
			return fmt.Errorf("locking rollups: %w", err)
		}
		for _, table := range []string{"click_days", "affiliate_click_days", "click_visitor_days", "affiliate_visitor_days",
			"conversion_days", "tenant_conversion_days", "link_days"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1`, tenantID); err != nil {
				return fmt.Errorf("clearing %s: %w", table, err)
			}
		}
		steps := []struct{ what, q string }{
			{"rebuilding click rollup", `INSERT INTO click_days (tenant_id, day, clicks, uniques)
				SELECT $1, (created_at AT TIME ZONE $2)::date, count(*), count(DISTINCT visitor_hash)
				FROM clicks WHERE tenant_id = $1 GROUP BY 2`},
			{"rebuilding affiliate click rollup", `INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, clicks, uniques)
				SELECT $1, (created_at AT TIME ZONE $2)::date, affiliate_id, count(*), count(DISTINCT visitor_hash)
				FROM clicks WHERE tenant_id = $1 GROUP BY 2, 3`},
			{"rebuilding visitor days", `INSERT INTO click_visitor_days (tenant_id, day, visitor_hash)
				SELECT DISTINCT $1, (created_at AT TIME ZONE $2)::date, visitor_hash
				FROM clicks WHERE tenant_id = $1 AND created_at >= now() - interval '5 days'
					AND (created_at AT TIME ZONE $2)::date >= click_visitor_days_from()`},
			{"rebuilding affiliate visitor days", `INSERT INTO affiliate_visitor_days (tenant_id, day, affiliate_id, visitor_hash)
				SELECT DISTINCT $1, (created_at AT TIME ZONE $2)::date, affiliate_id, visitor_hash
				FROM clicks WHERE tenant_id = $1 AND created_at >= now() - interval '5 days'
					AND (created_at AT TIME ZONE $2)::date >= click_visitor_days_from()`},
			{"rebuilding conversion rollup", `INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
				SELECT $1, (created_at AT TIME ZONE $2)::date, affiliate_id, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 2, 3, 4, 5`},
			{"rebuilding tenant conversion rollup", `INSERT INTO tenant_conversion_days (tenant_id, day, currency, status, conversions, amount, commission)
				SELECT $1, (created_at AT TIME ZONE $2)::date, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 2, 3, 4`},
			{"rebuilding link rollup", `INSERT INTO link_days (tenant_id, day, links)
				SELECT $1, (created_at AT TIME ZONE $2)::date, count(*) FROM customer_links WHERE tenant_id = $1 GROUP BY 2`},
			{"recording rollup timezone", `INSERT INTO rollup_timezones (tenant_id, timezone) VALUES ($1, $2)
				ON CONFLICT (tenant_id) DO UPDATE SET timezone = excluded.timezone`},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, tenantID, tz); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		return nil
	})
}
