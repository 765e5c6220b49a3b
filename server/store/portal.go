package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The affiliate portal reads one affiliate's numbers. Every query here is
// scoped by tenant AND affiliate, and none reads an affiliate's clicks: the
// Home sums the daily rollups (affiliate_click_days, conversion_days) and,
// for the paid part of the commission, the partial index of approved
// conversions in a payout (migration 0018); the conversion list is a keyset
// page of the (tenant, affiliate, time) index. So their cost follows the
// days shown and the page size, not the affiliate's millions of clicks.

// AffiliateSummary sums one affiliate's clicks, conversions and commission
// (pending, approved, paid; per currency) over r, with a row per day for
// the chart. Days are the tenant's rollup days.
func (s *Store) AffiliateSummary(ctx context.Context, tenantID, affiliateID string, r tracklane.DayRange) (tracklane.AffiliateSummary, error) {
	var out tracklane.AffiliateSummary
	byDay := map[string]*tracklane.DayTotals{}
	for d := r.From; d.Before(r.To); d = d.AddDate(0, 0, 1) {
		out.Days = append(out.Days, tracklane.DayTotals{Day: d})
	}
	for i := range out.Days {
		byDay[out.Days[i].Day.Format(time.DateOnly)] = &out.Days[i]
	}
	from, to := dayArgs(r)
	if err := s.affiliateClickDays(ctx, &out, byDay, tenantID, affiliateID, from, to); err != nil {
		return out, err
	}
	earnings, err := s.affiliateConversionDays(ctx, &out, byDay, tenantID, affiliateID, from, to)
	if err != nil {
		return out, err
	}
	if err := s.affiliatePaid(ctx, earnings, tenantID, affiliateID, from, to); err != nil {
		return out, err
	}
	for _, e := range earnings {
		out.Earnings = append(out.Earnings, *e)
	}
	sort.Slice(out.Earnings, func(i, j int) bool { return out.Earnings[i].Currency < out.Earnings[j].Currency })
	return out, nil
}

// affiliateClickDays adds the affiliate's clicks per day (the click rollup
// keeps a row per day and batch writer shard: summed here).
func (s *Store) affiliateClickDays(ctx context.Context, out *tracklane.AffiliateSummary, byDay map[string]*tracklane.DayTotals,
	tenantID, affiliateID, from, to string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT day, sum(clicks), sum(uniques) FROM affiliate_click_days
		WHERE tenant_id = $1 AND affiliate_id = $2 AND day >= $3::date AND day < $4::date GROUP BY day`,
		tenantID, affiliateID, from, to)
	if err != nil {
		return fmt.Errorf("reading an affiliate's click rollup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day time.Time
		var clicks, uniques int64
		if err := rows.Scan(&day, &clicks, &uniques); err != nil {
			return fmt.Errorf("scanning an affiliate's click rollup: %w", err)
		}
		out.Clicks += clicks
		out.Uniques += uniques
		if d := byDay[day.Format(time.DateOnly)]; d != nil {
			d.Clicks, d.Uniques = clicks, uniques
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading an affiliate's click rollup: %w", err)
	}
	return nil
}

// affiliateConversionDays adds the affiliate's conversions per day and
// returns its commission per currency, everything approved still counted
// as Approved (affiliatePaid moves the paid part).
func (s *Store) affiliateConversionDays(ctx context.Context, out *tracklane.AffiliateSummary, byDay map[string]*tracklane.DayTotals,
	tenantID, affiliateID, from, to string) (map[string]*tracklane.Earnings, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT day, currency, status, sum(conversions), sum(commission) FROM conversion_days
		WHERE tenant_id = $1 AND affiliate_id = $2 AND day >= $3::date AND day < $4::date AND status <> 'test'
		GROUP BY 1, 2, 3`, tenantID, affiliateID, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading an affiliate's conversion rollup: %w", err)
	}
	defer rows.Close()
	earnings := map[string]*tracklane.Earnings{}
	for rows.Next() {
		var day time.Time
		var cur, status string
		var n, commission int64
		if err := rows.Scan(&day, &cur, &status, &n, &commission); err != nil {
			return nil, fmt.Errorf("scanning an affiliate's conversion rollup: %w", err)
		}
		out.Conversions += n
		if d := byDay[day.Format(time.DateOnly)]; d != nil {
			d.Conversions += n
		}
		e := earnings[cur]
		if e == nil && n > 0 {
			e = &tracklane.Earnings{Currency: cur}
			earnings[cur] = e
		}
		if e == nil {
			continue
		}
		switch conversion.Status(status) {
		case conversion.Pending, conversion.Disputed:
			e.Pending += commission
		case conversion.Approved:
			e.Approved += commission
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading an affiliate's conversion rollup: %w", err)
	}
	return earnings, nil
}

// affiliatePaid moves the commission of the affiliate's approved
// conversions that are in a paid payout from Approved to Paid. The range is
// of tenant-local days, as the rollups bucket them.
func (s *Store) affiliatePaid(ctx context.Context, earnings map[string]*tracklane.Earnings, tenantID, affiliateID, from, to string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.currency, sum(c.commission)
		FROM conversions c
		JOIN payouts p ON p.tenant_id = c.tenant_id AND p.id = c.payout_id
		WHERE c.tenant_id = $1 AND c.affiliate_id = $2 AND c.payout_id IS NOT NULL AND c.status = 'approved'
			AND c.created_at >= ($3::date::timestamp AT TIME ZONE rollup_timezone($1))
			AND c.created_at < ($4::date::timestamp AT TIME ZONE rollup_timezone($1))
			AND p.affiliate_id = $2 AND p.status = 'paid'
		GROUP BY 1`, tenantID, affiliateID, from, to)
	if err != nil {
		return fmt.Errorf("reading an affiliate's paid commission: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cur string
		var paid int64
		if err := rows.Scan(&cur, &paid); err != nil {
			return fmt.Errorf("scanning an affiliate's paid commission: %w", err)
		}
		e := earnings[cur]
		if e == nil { // the rollup and the rows disagree only inside a write: show what is paid
			e = &tracklane.Earnings{Currency: cur}
			earnings[cur] = e
		}
		e.Paid += paid
		e.Approved -= paid
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading an affiliate's paid commission: %w", err)
	}
	return nil
}

// AffiliateConversions lists one affiliate's conversions, newest payment
// first, test-mode ones left out (they are the merchant's own tests).
func (s *Store) AffiliateConversions(ctx context.Context, tenantID, affiliateID string, p Page) ([]tracklane.PortalConversion, error) {
	t, id := p.afterArgs()
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.external_cid, c.currency, c.gross_amount, c.amount, c.commission,
			c.status, c.created_at, coalesce(p.status = 'paid', false)
		FROM conversions c
		LEFT JOIN payouts p ON p.tenant_id = c.tenant_id AND p.id = c.payout_id
		WHERE c.tenant_id = $1 AND c.affiliate_id = $2 AND (c.created_at, c.id) < ($3, $4) AND c.status <> 'test'
		ORDER BY c.created_at DESC, c.id DESC LIMIT $5`, tenantID, affiliateID, t, id, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing an affiliate's conversions: %w", err)
	}
	defer rows.Close()
	out, err := scanAll(rows, "an affiliate's conversion", func(r scanner) (tracklane.PortalConversion, error) {
		var c tracklane.PortalConversion
		var status string
		err := r.Scan(&c.ID, &c.Customer, &c.Currency, &c.GrossAmount, &c.Amount, &c.Commission, &status, &c.CreatedAt, &c.Paid)
		c.Status, c.CreatedAt = conversion.Status(status), c.CreatedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing an affiliate's conversions: %w", err)
	}
	return out, nil
}

// PayoutEmailMail composes the mail that tells an affiliate's former
// payout address (or its login email when it had none) of a change; the
// store writes it in the change's transaction (an error aborts the
// change).
type PayoutEmailMail func(before tracklane.Affiliate) (mail.Message, error)

// SetAffiliatePayoutEmail stores where the affiliate's payouts go (already
// checked and folded by the caller; "" clears it) and, when it changes and
// notify is not nil, writes notify's mail in the same transaction. Not
// found when the affiliate is not the tenant's. Pending payouts keep the
// address they were made for.
func (s *Store) SetAffiliatePayoutEmail(ctx context.Context, tenantID, affiliateID, email string, notify PayoutEmailMail) (tracklane.Affiliate, error) {
	var out tracklane.Affiliate
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := lockAffiliate(ctx, tx, tenantID, affiliateID)
		if err != nil {
			return err
		}
		if out = before; before.PayoutEmail == email {
			return nil
		}
		if out, err = scanAffiliate(tx.QueryRowContext(ctx, `UPDATE affiliates SET payout_email = $3
			WHERE tenant_id = $1 AND id = $2 RETURNING `+affiliateColumns, tenantID, affiliateID, email)); err != nil {
			return fmt.Errorf("setting the payout email: %w", err)
		}
		if notify == nil {
			return nil
		}
		m, err := notify(before)
		if err != nil {
			return err
		}
		return enqueueMail(ctx, tx, m)
	})
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return out, nil
}
