package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/tracklane"
)

// AffiliatePayouts lists one affiliate's payouts, newest first (the portal's
// Payouts page). Conversion ids and adjustments are not filled.
func (s *Store) AffiliatePayouts(ctx context.Context, tenantID, affiliateID string, p Page) ([]tracklane.Payout, error) {
	t, id := p.afterArgs()
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, tenant_id, affiliate_id, currency, amount, status, payout_email, reference, created_at, paid_at
		FROM payouts
		WHERE tenant_id = $1 AND affiliate_id = $2 AND (created_at, id) < ($3, $4)
		ORDER BY created_at DESC, id DESC LIMIT $5`, tenantID, affiliateID, t, id, p.Limit)
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
		&p.PayoutEmail, &p.Reference, &p.CreatedAt, &paid)
	if paid.Valid {
		t := paid.Time.UTC()
		p.PaidAt = &t
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}
