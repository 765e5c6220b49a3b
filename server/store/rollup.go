package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
)

// Rollups. The dashboard reads daily totals per tenant-local day instead of
// raw rows, so its cost does not grow with the size of clicks or
// conversions:
//
//   - click_days / affiliate_click_days: written by InsertClicks in the
//     transaction of the clicks (rollupClicks below);
//   - conversion_days: kept by a trigger on conversions (migration 0003),
//     so every writer of conversions keeps it right without knowing of it;
//   - link_days: kept by a statement trigger on customer_links.
//
// Days are in the tenant's rollup timezone (rollup_timezones, default
// UTC). When the tenant's timezone changes, RebuildRollups re-buckets
// everything from the raw rows under an exclusive per-tenant advisory lock;
// every incremental writer holds the same lock in shared mode, so a rebuild
// neither misses nor double-counts a concurrent write.

// lockRollupsShared takes the rollup lock of each tenant in shared mode,
// in a fixed order.
func lockRollupsShared(ctx context.Context, tx *sql.Tx, tenantIDs []string) error {
	if _, err := tx.ExecContext(ctx, `SELECT rollup_lock_shared(t) FROM (SELECT DISTINCT unnest($1::text[]) AS t ORDER BY 1) x`,
		pq.Array(tenantIDs)); err != nil {
		return fmt.Errorf("locking rollups: %w", err)
	}
	return nil
}

// rollupClicks adds just-inserted clicks (by id) to the daily rollups. A
// click counts as unique when it is the visitor's first of that local day
// for the tenant (or for the affiliate): one probe of clicks_visitor per
// click, which also sees earlier clicks of the same batch. Two concurrent
// batches holding the same new visitor may both count it: a rare, small
// overcount that is accepted for an insert path that never waits on reads.
func rollupClicks(ctx context.Context, tx *sql.Tx, ids []string) error {
	_, err := tx.ExecContext(ctx, `WITH n AS (
			SELECT c.id, c.tenant_id, c.affiliate_id, c.created_at, c.visitor_hash, z.tz,
				(c.created_at AT TIME ZONE z.tz)::date AS day
			FROM clicks c CROSS JOIN LATERAL (SELECT rollup_timezone(c.tenant_id) AS tz) z
			WHERE c.id = ANY($1)
		), f AS (
			SELECT n.tenant_id, n.day, n.affiliate_id,
				NOT EXISTS (SELECT 1 FROM clicks o WHERE o.visitor_hash = n.visitor_hash AND o.tenant_id = n.tenant_id
					AND o.created_at >= (n.day::timestamp AT TIME ZONE n.tz) AND (o.created_at, o.id) < (n.created_at, n.id)) AS first_t,
				NOT EXISTS (SELECT 1 FROM clicks o WHERE o.visitor_hash = n.visitor_hash AND o.tenant_id = n.tenant_id
					AND o.affiliate_id = n.affiliate_id
					AND o.created_at >= (n.day::timestamp AT TIME ZONE n.tz) AND (o.created_at, o.id) < (n.created_at, n.id)) AS first_a
			FROM n
		), t AS (
			INSERT INTO click_days (tenant_id, day, clicks, uniques)
			SELECT tenant_id, day, count(*), count(*) FILTER (WHERE first_t) FROM f GROUP BY 1, 2 ORDER BY 1, 2
			ON CONFLICT (tenant_id, day) DO UPDATE SET clicks = click_days.clicks + excluded.clicks,
				uniques = click_days.uniques + excluded.uniques
		)
		INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, clicks, uniques)
		SELECT tenant_id, day, affiliate_id, count(*), count(*) FILTER (WHERE first_a) FROM f GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
		ON CONFLICT (tenant_id, day, affiliate_id) DO UPDATE SET clicks = affiliate_click_days.clicks + excluded.clicks,
			uniques = affiliate_click_days.uniques + excluded.uniques`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("rolling up %d clicks: %w", len(ids), err)
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
		for _, table := range []string{"click_days", "affiliate_click_days", "conversion_days", "link_days"} {
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
			{"rebuilding conversion rollup", `INSERT INTO conversion_days (tenant_id, day, affiliate_id, currency, status, conversions, amount, commission)
				SELECT $1, (created_at AT TIME ZONE $2)::date, affiliate_id, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 2, 3, 4, 5`},
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
