package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Rollups. The dashboard reads daily totals per tenant-local day instead of
// raw rows, so its cost does not grow with the size of clicks or
// conversions:
//
//   - click_days / affiliate_click_days: written with the clicks by
//     record_clicks (migration 0008; RecordClicks and InsertClicks), one
//     row per shard (batch writer) that readers sum;
//   - conversion_days and tenant_conversion_days: kept by statement
//     triggers on conversions (migrations 0005, 0006),
//     so every writer of conversions keeps it right without knowing of it;
//   - link_days: kept by a statement trigger on customer_links: the links
//     made and the customers (emails linked for the first time) per day.
//
// Days are in the tenant's rollup timezone (rollup_timezones, default
// UTC). When the tenant's timezone changes, RebuildRollups re-buckets
// everything from the raw rows under an exclusive per-tenant advisory lock;
// every incremental writer holds the same lock in shared mode, so a rebuild
// neither misses nor double-counts a concurrent write.

// RollupTimezone returns the timezone the tenant's rollups are bucketed in.
func (s *Store) RollupTimezone(ctx context.Context, tenantID string) (string, error) {
	var tz string
	if err := s.db.QueryRowContext(ctx, `SELECT rollup_timezone($1)`, tenantID).Scan(&tz); err != nil {
		return "", fmt.Errorf("reading rollup timezone: %w", err)
	}
	return tz, nil
}

// EnsureRollups rebuckets the tenant's rollups when its timezone is not the
// one they were built in. account.Service.UpdateSettings calls it whenever
// a timezone is saved, from the dashboard or the CLI. It costs one indexed
// read when nothing changed.
func (s *Store) EnsureRollups(ctx context.Context, t tracklane.Tenant) error {
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
		for _, table := range []string{"click_days", "affiliate_click_days", "conversion_days", "tenant_conversion_days", "link_days"} {
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
			{"rebuilding tenant conversion rollup", `INSERT INTO tenant_conversion_days (tenant_id, day, currency, status, conversions, amount, commission)
				SELECT $1, (created_at AT TIME ZONE $2)::date, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 2, 3, 4`},
			{"rebuilding link rollup", `INSERT INTO link_days (tenant_id, day, links, customers)
				SELECT $1, (created_at AT TIME ZONE $2)::date, count(*), count(*) FILTER (WHERE first)
				FROM (SELECT created_at, row_number() OVER (PARTITION BY external_cid ORDER BY created_at, id) = 1 AS first
					FROM customer_links WHERE tenant_id = $1) l
				GROUP BY 2`},
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
