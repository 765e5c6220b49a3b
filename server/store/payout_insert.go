package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// insertPayouts inserts one pending payout per key and puts the payable
// conversions (payout_items: its primary key refuses a conversion already
// in a payout) and the open debts into it. It returns the payouts as
// written, in key order, their amounts what they actually got (the
// caller settles any difference with the sums).
func (s *Store) insertPayouts(ctx context.Context, tx *sql.Tx, tenantID string, keys []payoutKey, net map[payoutKey]int64, newID func() string) ([]tracklane.Payout, error) {
	n := len(keys)
	ids, aff, cur, amount := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	ps := make([]tracklane.Payout, n)
	index := make(map[string]int, n)
	now := s.Now().UTC().Truncate(time.Microsecond)
	for i, k := range keys {
		ids[i], aff[i], cur[i], amount[i] = newID(), k.affiliate, k.currency, net[k]
		ps[i] = tracklane.Payout{ID: ids[i], TenantID: tenantID, AffiliateID: k.affiliate, Currency: k.currency,
			Status: tracklane.PayoutPending, ConversionIDs: []string{}, Adjustments: []tracklane.PayoutAdjustment{}, CreatedAt: now}
		index[ids[i]] = i
	}
	// The payout keeps its affiliate's payout email of this moment (SPEC
	// section 14): a change made later does not move it.
	if _, err := tx.ExecContext(ctx, `INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, created_at, payout_email)
		SELECT u.id, $1, u.aff, u.cur, u.amount, 'pending', $2, COALESCE(a.payout_email, '')
		FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(id, aff, cur, amount)
		LEFT JOIN affiliates a ON a.tenant_id = $1 AND a.id = u.aff`,
		tenantID, now, pq.Array(ids), pq.Array(aff), pq.Array(cur), pq.Array(amount)); err != nil {
		return nil, fmt.Errorf("inserting payouts: %w", err)
	}
	// The payable conversions: approvedUnpaid here, and ON CONFLICT for the
	// rest of the rule (payableConversion): a conversion in a pending
	// payout is in payout_items already, and the primary key's probe is the
	// only check needed.
	err := eachRow(ctx, tx, func(r scanner) error {
		var pid, cid string
		var comm int64
		if err := r.Scan(&pid, &cid, &comm); err != nil {
			return err
		}
		p := &ps[index[pid]]
		p.ConversionIDs, p.Amount = append(p.ConversionIDs, cid), p.Amount+comm
		return nil
	}, `INSERT INTO payout_items (conversion_id, tenant_id, payout_id, commission)
		SELECT c.id, $1, u.id, c.commission
		FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, aff, cur)
		JOIN conversions c ON c.tenant_id = $1 AND c.affiliate_id = u.aff AND c.currency = u.cur AND `+approvedUnpaid+`
		ON CONFLICT (conversion_id) DO NOTHING
		RETURNING payout_id, conversion_id, commission`, tenantID, pq.Array(ids), pq.Array(aff), pq.Array(cur))
	if err != nil {
		return nil, fmt.Errorf("moving conversions into payouts: %w", err)
	}
	err = eachRow(ctx, tx, func(r scanner) error {
		var pid string
		var a tracklane.PayoutAdjustment
		if err := r.Scan(&pid, &a.ConversionID, &a.Amount, &a.Reason); err != nil {
			return err
		}
		p := &ps[index[pid]]
		p.Adjustments, p.Amount = append(p.Adjustments, a), p.Amount+a.Amount
		return nil
	}, `UPDATE payout_debts d SET payout_id = u.id
		FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, aff, cur)
		WHERE d.tenant_id = $1 AND d.affiliate_id = u.aff AND d.currency = u.cur AND d.payout_id IS NULL
		RETURNING d.payout_id, d.conversion_id, d.amount, d.reason`, tenantID, pq.Array(ids), pq.Array(aff), pq.Array(cur))
	if err != nil {
		return nil, fmt.Errorf("moving adjustments into payouts: %w", err)
	}
	if err := fillPayoutEmails(ctx, tx, tenantID, ps); err != nil {
		return nil, err
	}
	for i := range ps {
		sort.Strings(ps[i].ConversionIDs)
	}
	return ps, nil
}

// fillPayoutEmails sets each payout's email as it was written: its
// affiliate's at creation.
func fillPayoutEmails(ctx context.Context, tx *sql.Tx, tenantID string, ps []tracklane.Payout) error {
	ids := make([]string, len(ps))
	index := make(map[string]int, len(ps))
	for i, p := range ps {
		ids[i], index[p.ID] = p.ID, i
	}
	err := eachRow(ctx, tx, func(r scanner) error {
		var id, email string
		if err := r.Scan(&id, &email); err != nil {
			return err
		}
		ps[index[id]].PayoutEmail, ps[index[id]].AffiliatePayoutEmail = email, email
		return nil
	}, `SELECT id, payout_email FROM payouts WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("reading payout emails: %w", err)
	}
	return nil
}

// eachRow runs q in tx and calls fn for each row.
func eachRow(ctx context.Context, tx *sql.Tx, fn func(scanner) error, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
