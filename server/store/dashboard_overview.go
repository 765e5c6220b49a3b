package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// dayArgs returns a day range as query arguments (tenant-local dates).
func dayArgs(r tracklane.DayRange) (string, string) {
	return r.From.Format(time.DateOnly), r.To.Format(time.DateOnly)
}

// moneyCase sums the rollup's per-status amounts into Money: what counts
// as revenue, standing commission, owed and pending. Test conversions
// count toward nothing.
const moneyCase = `sum(amount) FILTER (WHERE status <> 'test'),
	sum(commission) FILTER (WHERE status IN ('approved', 'pending', 'disputed')),
	sum(commission) FILTER (WHERE status = 'approved'),
	sum(commission) FILTER (WHERE status IN ('pending', 'disputed'))`

type nullMoney struct{ rev, com, owed, pend *int64 }

func (n nullMoney) money(cur string) tracklane.Money {
	v := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	return tracklane.Money{Currency: cur, Revenue: v(n.rev), Commission: v(n.com), Owed: v(n.owed), Pending: v(n.pend)}
}

// TenantOverview sums the tenant's rollups over r. Its cost depends on the
// number of days (and currencies), not on the number of clicks.
func (s *Store) TenantOverview(ctx context.Context, tenantID string, r tracklane.DayRange) (tracklane.Overview, error) {
	var o tracklane.Overview
	byDay := map[string]*tracklane.DayTotals{}
	for d := r.From; d.Before(r.To); d = d.AddDate(0, 0, 1) {
		o.Days = append(o.Days, tracklane.DayTotals{Day: d})
	}
	for i := range o.Days {
		byDay[o.Days[i].Day.Format(time.DateOnly)] = &o.Days[i]
	}
	from, to := dayArgs(r)
	if err := s.overviewClicks(ctx, &o, byDay, tenantID, from, to); err != nil {
		return o, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(customers), 0) FROM link_days
		WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date`, tenantID, from, to).Scan(&o.Links); err != nil {
		return o, fmt.Errorf("reading link rollup: %w", err)
	}
	if err := s.overviewConversions(ctx, &o, byDay, tenantID, from, to); err != nil {
		return o, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT currency, `+moneyCase+` FROM tenant_conversion_days
		WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND status <> 'test'
		GROUP BY currency HAVING sum(conversions) > 0 ORDER BY currency`, tenantID, from, to)
	if err != nil {
		return o, fmt.Errorf("reading revenue: %w", err)
	}
	defer rows.Close()
	o.Money, err = scanAll(rows, "revenue", func(r scanner) (tracklane.Money, error) {
		var cur string
		var n nullMoney
		err := r.Scan(&cur, &n.rev, &n.com, &n.owed, &n.pend)
		return n.money(cur), err
	})
	if err != nil {
		return o, fmt.Errorf("reading revenue: %w", err)
	}
	return o, nil
}

// overviewClicks adds the click rollup's days to o.
func (s *Store) overviewClicks(ctx context.Context, o *tracklane.Overview, byDay map[string]*tracklane.DayTotals, tenantID, from, to string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT day, sum(clicks), sum(uniques) FROM click_days
		WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date GROUP BY day`, tenantID, from, to)
	if err != nil {
		return fmt.Errorf("reading click rollup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day time.Time
		var clicks, uniques int64
		if err := rows.Scan(&day, &clicks, &uniques); err != nil {
			return fmt.Errorf("scanning click rollup: %w", err)
		}
		o.Clicks += clicks
		o.Uniques += uniques
		if d := byDay[day.Format(time.DateOnly)]; d != nil {
			d.Clicks, d.Uniques = clicks, uniques
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading click rollup: %w", err)
	}
	return nil
}

// overviewConversions adds the conversion rollup's days to o (test-mode
// conversions counted apart).
func (s *Store) overviewConversions(ctx context.Context, o *tracklane.Overview, byDay map[string]*tracklane.DayTotals, tenantID, from, to string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT day, sum(conversions) FILTER (WHERE status <> 'test'),
			sum(conversions) FILTER (WHERE status = 'test')
		FROM tenant_conversion_days WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date GROUP BY day`, tenantID, from, to)
	if err != nil {
		return fmt.Errorf("reading conversion rollup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day time.Time
		var n, test *int64
		if err := rows.Scan(&day, &n, &test); err != nil {
			return fmt.Errorf("scanning conversion rollup: %w", err)
		}
		if n != nil {
			o.Conversions += *n
			if d := byDay[day.Format(time.DateOnly)]; d != nil {
				d.Conversions = *n
			}
		}
		if test != nil {
			o.TestConversions += *test
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading conversion rollup: %w", err)
	}
	return nil
}

// TopAffiliates returns up to limit affiliates with the most conversions
// (then clicks) over r, with their money by currency.
//
// Ranking every affiliate by clicks means summing a row per affiliate, day
// and writer shard (tens of thousands over 90 days), so the clicks are
// summed only for the candidates: once limit affiliates have conversions,
// nobody with fewer conversions than the limit-th of them can be in the
// top, and only the ties at that count need their clicks.
func (s *Store) TopAffiliates(ctx context.Context, tenantID string, r tracklane.DayRange, limit int) ([]tracklane.AffiliateTotals, error) {
	from, to := dayArgs(r)
	candidates, err := s.topCandidates(ctx, tenantID, from, to, limit)
	if err != nil {
		return nil, err
	}
	args := []any{tenantID, from, to, limit}
	// With fewer than limit affiliates with conversions, affiliates with
	// clicks alone make up the rest: every affiliate is ranked.
	only := ""
	if len(candidates) >= limit {
		only = " AND affiliate_id = ANY($5)"
		args = append(args, stringArray(candidates))
	}
	rows, err := s.db.QueryContext(ctx, `WITH c AS (
			SELECT affiliate_id, sum(clicks) AS clicks, sum(uniques) AS uniques FROM affiliate_click_days
			WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date`+only+` GROUP BY 1
		), v AS (
			SELECT affiliate_id, sum(conversions) AS conversions FROM conversion_days
			WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND status <> 'test'`+only+` GROUP BY 1
		), top AS (
			SELECT coalesce(c.affiliate_id, v.affiliate_id) AS affiliate_id, coalesce(c.clicks, 0) AS clicks,
				coalesce(c.uniques, 0) AS uniques, coalesce(v.conversions, 0) AS conversions
			FROM c FULL JOIN v ON v.affiliate_id = c.affiliate_id
			WHERE coalesce(c.clicks, 0) > 0 OR coalesce(v.conversions, 0) > 0
			ORDER BY 4 DESC, 2 DESC, 1 LIMIT $4
		)
		SELECT a.id, a.name, a.code, top.clicks, top.uniques, top.conversions
		FROM top JOIN affiliates a ON a.tenant_id = $1 AND a.id = top.affiliate_id
		ORDER BY top.conversions DESC, top.clicks DESC, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading top affiliates: %w", err)
	}
	defer rows.Close()
	out, err := scanAll(rows, "top affiliates", func(row scanner) (tracklane.AffiliateTotals, error) {
		var a tracklane.AffiliateTotals
		err := row.Scan(&a.AffiliateID, &a.Name, &a.Code, &a.Clicks, &a.Uniques, &a.Conversions)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading top affiliates: %w", err)
	}
	ids := make([]string, len(out))
	for i, a := range out {
		ids[i] = a.AffiliateID
	}
	money, err := s.affiliateMoney(ctx, tenantID, ids, r)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Money = money[out[i].AffiliateID]
	}
	return out, nil
}

// topCandidates returns the affiliates whose conversions over [from, to)
// are at least those of the limit-th affiliate by conversions (none when
// fewer than limit affiliates have any).
func (s *Store) topCandidates(ctx context.Context, tenantID, from, to string, limit int) ([]string, error) {
	var ids []string
	err := s.db.QueryRowContext(ctx, `WITH v AS (
			SELECT affiliate_id, sum(conversions) AS conversions FROM conversion_days
			WHERE tenant_id = $1 AND day >= $2::date AND day < $3::date AND status <> 'test'
			GROUP BY 1 HAVING sum(conversions) > 0
		)
		SELECT coalesce(array_agg(affiliate_id), '{}') FROM v
		WHERE conversions >= (SELECT conversions FROM v ORDER BY conversions DESC OFFSET $4 - 1 LIMIT 1)`,
		tenantID, from, to, limit).Scan(pq.Array(&ids))
	if err != nil {
		return nil, fmt.Errorf("reading top affiliate candidates: %w", err)
	}
	return ids, nil
}

// AffiliateStats returns the activity over r of the given affiliates (one
// page of the affiliate list), keyed by affiliate id; affiliates without
// activity are missing.
func (s *Store) AffiliateStats(ctx context.Context, tenantID string, ids []string, r tracklane.DayRange) (map[string]tracklane.AffiliateTotals, error) {
	out := make(map[string]tracklane.AffiliateTotals, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	from, to := dayArgs(r)
	rows, err := s.db.QueryContext(ctx, `SELECT affiliate_id, sum(clicks), sum(uniques) FROM affiliate_click_days
		WHERE tenant_id = $1 AND affiliate_id = ANY($2) AND day >= $3::date AND day < $4::date GROUP BY 1`,
		tenantID, stringArray(ids), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading affiliate clicks: %w", err)
	}
	for rows.Next() {
		var a tracklane.AffiliateTotals
		if err := rows.Scan(&a.AffiliateID, &a.Clicks, &a.Uniques); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scanning affiliate clicks: %w", err)
		}
		out[a.AffiliateID] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading affiliate clicks: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT affiliate_id, sum(conversions) FROM conversion_days
		WHERE tenant_id = $1 AND affiliate_id = ANY($2) AND day >= $3::date AND day < $4::date AND status <> 'test'
		GROUP BY 1`, tenantID, stringArray(ids), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading affiliate conversions: %w", err)
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scanning affiliate conversions: %w", err)
		}
		a := out[id]
		a.AffiliateID, a.Conversions = id, n
		out[id] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading affiliate conversions: %w", err)
	}
	money, err := s.affiliateMoney(ctx, tenantID, ids, r)
	if err != nil {
		return nil, err
	}
	for id, m := range money {
		a := out[id]
		a.AffiliateID, a.Money = id, m
		out[id] = a
	}
	return out, nil
}

// affiliateMoney sums revenue and commission by affiliate and currency.
func (s *Store) affiliateMoney(ctx context.Context, tenantID string, ids []string, r tracklane.DayRange) (map[string][]tracklane.Money, error) {
	out := map[string][]tracklane.Money{}
	if len(ids) == 0 {
		return out, nil
	}
	from, to := dayArgs(r)
	rows, err := s.db.QueryContext(ctx, `SELECT affiliate_id, currency, `+moneyCase+` FROM conversion_days
		WHERE tenant_id = $1 AND affiliate_id = ANY($2) AND day >= $3::date AND day < $4::date AND status <> 'test'
		GROUP BY 1, 2 HAVING sum(conversions) > 0`, tenantID, stringArray(ids), from, to)
	if err != nil {
		return nil, fmt.Errorf("reading affiliate revenue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, cur string
		var n nullMoney
		if err := rows.Scan(&id, &cur, &n.rev, &n.com, &n.owed, &n.pend); err != nil {
			return nil, fmt.Errorf("scanning affiliate revenue: %w", err)
		}
		out[id] = append(out[id], n.money(cur))
	}
	for _, m := range out {
		sort.Slice(m, func(i, j int) bool { return m[i].Currency < m[j].Currency })
	}
	return out, rows.Err()
}
