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

// clickBucketLock is the first key of the advisory lock a click batch
// holds per tenant and visitor bucket (see RecordClicks).
const clickBucketLock = 730302

// lockClickBatch takes, for each tenant of a batch in a fixed order, the
// rollup lock in shared mode and then the locks of the batch's visitor
// buckets (VisitorBucket) in ascending order: every click writer takes
// them in the same global order, so they never deadlock. It is a
// statement of its own: the batch's next statement then reads with a
// snapshot taken after the locks were granted, so it sees everything the
// previous holder committed (its clicks, or a rebuild's timezone).
func (s *Store) lockClickBatch(ctx context.Context, tx *sql.Tx, clicks []Click) error {
	tenants, buckets := make([]string, len(clicks)), make([]int64, len(clicks))
	for i, c := range clicks {
		tenants[i], buckets[i] = c.TenantID, int64(VisitorBucket(c.VisitorHash))
	}
	stmt, err := s.prepared(ctx, lockClickBatchSQL)
	if err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, pq.Array(tenants), pq.Array(buckets), clickBucketLock); err != nil {
		return fmt.Errorf("locking click batch: %w", err)
	}
	return nil
}

// lockClickBatchSQL: bucket -1 stands for the tenant's rollup lock, which
// sorts first.
const lockClickBatchSQL = `SELECT CASE WHEN b < 0 THEN rollup_lock_shared(t) ELSE pg_advisory_xact_lock($3, hashtext(t || '/' || b)) END
	FROM (
		SELECT DISTINCT t, b FROM (
			SELECT unnest($1::text[]) AS t, unnest($2::int[]) AS b
			UNION ALL SELECT unnest($1::text[]), -1
		) u
		ORDER BY t, b
	) x`

// rollupCTEs inserts the batch's new clicks (the CTE "fresh": the
// columns of clicks plus ord, day, seen_tenant and seen_affiliate, see
// visitorProbe) and adds them to the daily rollups from the batch's own
// values: no re-read of clicks. It is the tail of a WITH list; $16 is the
// rollup shard. A new click is a unique visitor of its day unless the
// visitor already had a click that day (seen_*) or an earlier one of this
// batch. That is exact because a visitor's batches never run concurrently
// (RecordClicks: each visitor has one writer, whose shard lock serialises
// its batches across processes). Rows are written in key order, so
// concurrent batches cannot deadlock on them.
const rollupCTEs = `ins AS (
		INSERT INTO clicks (id, tenant_id, affiliate_id, created_at, landing_url, referrer,
			utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash)
		SELECT id, tenant_id, affiliate_id, created_at, landing_url, referrer,
			utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash
		FROM fresh ORDER BY ord
	), cd AS (
		INSERT INTO click_days (tenant_id, day, shard, clicks, uniques)
		SELECT tenant_id, day, $16::smallint, count(*), count(DISTINCT visitor_hash) FILTER (WHERE NOT seen_tenant)
		FROM fresh GROUP BY 1, 2 ORDER BY 1, 2
		ON CONFLICT (tenant_id, day, shard) DO UPDATE SET clicks = click_days.clicks + excluded.clicks,
			uniques = click_days.uniques + excluded.uniques
	), acd AS (
		INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, shard, clicks, uniques)
		SELECT tenant_id, day, affiliate_id, $16::smallint, count(*), count(DISTINCT visitor_hash) FILTER (WHERE NOT seen_affiliate)
		FROM fresh GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
		ON CONFLICT (tenant_id, day, affiliate_id, shard) DO UPDATE SET clicks = affiliate_click_days.clicks + excluded.clicks,
			uniques = affiliate_click_days.uniques + excluded.uniques
	)`

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
