package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// payoutColumns reads a payout p joined with its affiliate a. A pending
// payout's amount follows its conversions: its amount at creation plus how
// much their commission changed since (so a refund before payment lowers
// it at once); a paid or cancelled one is frozen. Its email is the one it
// was created with, whatever the affiliate set since (SPEC section 14);
// the affiliate's current one comes last. Each conversion is read by its
// primary key (a scalar subquery), so the plan stays index lookups
// whatever the statistics say.
var payoutColumns = `p.id, p.tenant_id, p.affiliate_id, p.currency,
	CASE WHEN p.status = 'pending' THEN p.amount
		+ COALESCE((SELECT sum((SELECT ` + earnedCommission + ` FROM conversions c WHERE c.id = i.conversion_id) - i.commission)
			FROM payout_items i WHERE i.payout_id = p.id), 0)
	ELSE p.amount END,
	p.status, p.payout_email, p.reference, p.created_at, p.paid_at, a.payout_email`

const payoutFrom = ` FROM payouts p JOIN affiliates a ON a.tenant_id = p.tenant_id AND a.id = p.affiliate_id `

// AffiliatePayouts lists one affiliate's payouts, newest first (the portal's
// Payouts page). Conversion ids and adjustments are not filled.
func (s *Store) AffiliatePayouts(ctx context.Context, tenantID, affiliateID string, p Page) ([]tracklane.Payout, error) {
	t, id := p.afterArgs()
	rows, err := s.db.QueryContext(ctx, `SELECT `+payoutColumns+payoutFrom+`
		WHERE p.tenant_id = $1 AND p.affiliate_id = $2 AND (p.created_at, p.id) < ($3, $4)
		ORDER BY p.created_at DESC, p.id DESC LIMIT $5`, tenantID, affiliateID, t, id, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing an affiliate's payouts: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "payout", scanPayout)
}

func scanPayout(row scanner) (tracklane.Payout, error) {
	var p tracklane.Payout
	var paid sql.NullTime
	err := row.Scan(&p.ID, &p.TenantID, &p.AffiliateID, &p.Currency, &p.Amount, &p.Status,
		&p.PayoutEmail, &p.Reference, &p.CreatedAt, &paid, &p.AffiliatePayoutEmail)
	if paid.Valid {
		t := paid.Time.UTC()
		p.PaidAt = &t
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// PayoutFilter narrows a payout list.
type PayoutFilter struct {
	Status      tracklane.PayoutStatus // "" = all
	AffiliateID string
}

// Payouts lists a tenant's payouts, newest first, each with its
// conversion ids and adjustments.
func (s *Store) Payouts(ctx context.Context, tenantID string, f PayoutFilter, pg Page) ([]tracklane.Payout, error) {
	t, id := pg.afterArgs()
	q := `SELECT ` + payoutColumns + payoutFrom + `WHERE p.tenant_id = $1 AND (p.created_at, p.id) < ($2, $3)`
	args := []any{tenantID, t, id, pg.Limit}
	if f.Status != "" {
		args = append(args, string(f.Status))
		q += fmt.Sprintf(` AND p.status = $%d`, len(args))
	}
	if f.AffiliateID != "" {
		args = append(args, f.AffiliateID)
		q += fmt.Sprintf(` AND p.affiliate_id = $%d`, len(args))
	}
	q += ` ORDER BY p.created_at DESC, p.id DESC LIMIT $4`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing payouts: %w", err)
	}
	defer rows.Close()
	out, err := scanAll(rows, "payout", scanPayout)
	if err != nil {
		return nil, fmt.Errorf("listing payouts: %w", err)
	}
	return out, s.loadPayoutParts(ctx, s.db, tenantID, out)
}

// Payout returns one of the tenant's payouts with its conversion ids and
// adjustments; not_found when the tenant has none with that id.
func (s *Store) Payout(ctx context.Context, tenantID, id string) (tracklane.Payout, error) {
	return s.payout(ctx, s.db, tenantID, id)
}

// queryer is what *sql.DB and *sql.Tx have in common for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) payout(ctx context.Context, q queryer, tenantID, id string) (tracklane.Payout, error) {
	p, err := scanPayout(q.QueryRowContext(ctx, `SELECT `+payoutColumns+payoutFrom+`WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, id))
	if err != nil {
		return tracklane.Payout{}, notFound(err, "no payout %q", id)
	}
	list := []tracklane.Payout{p}
	if err := s.loadPayoutParts(ctx, q, tenantID, list); err != nil {
		return tracklane.Payout{}, err
	}
	return list[0], nil
}

// loadPayoutParts fills each payout's conversion ids (those it holds, or
// held when cancelled) and adjustments, with three queries in all.
func (s *Store) loadPayoutParts(ctx context.Context, q queryer, tenantID string, ps []tracklane.Payout) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]string, len(ps))
	index := make(map[string]int, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
		index[p.ID] = i
		ps[i].ConversionIDs, ps[i].Adjustments = []string{}, []tracklane.PayoutAdjustment{}
	}
	// A paid payout's conversions name it too (conversions.payout_id; a
	// payout written by other means, such as bench/datagen, only there).
	rows, err := q.QueryContext(ctx, `SELECT payout_id, conversion_id FROM payout_items WHERE tenant_id = $1 AND payout_id = ANY($2)
		UNION SELECT payout_id, id FROM conversions WHERE tenant_id = $1 AND payout_id = ANY($2)
		UNION ALL SELECT p.id, u.cid FROM payouts p, unnest(p.cancelled_conversion_ids) AS u(cid)
			WHERE p.tenant_id = $1 AND p.id = ANY($2)
		ORDER BY 1, 2`, tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("loading payout conversions: %w", err)
	}
	for rows.Next() {
		var pid, cid string
		if err := rows.Scan(&pid, &cid); err != nil {
			rows.Close()
			return fmt.Errorf("scanning payout conversions: %w", err)
		}
		ps[index[pid]].ConversionIDs = append(ps[index[pid]].ConversionIDs, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading payout conversions: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT payout_id, conversion_id, amount, reason FROM payout_debts
		WHERE tenant_id = $1 AND payout_id = ANY($2) ORDER BY id`, tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("loading payout adjustments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		var a tracklane.PayoutAdjustment
		if err := rows.Scan(&pid, &a.ConversionID, &a.Amount, &a.Reason); err != nil {
			return fmt.Errorf("scanning payout adjustments: %w", err)
		}
		ps[index[pid]].Adjustments = append(ps[index[pid]].Adjustments, a)
	}
	return rows.Err()
}
