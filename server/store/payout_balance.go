package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/tracklane"
)

// PayoutBalances lists what the tenant owes whom (only affiliateID when
// given): per affiliate and currency, the payable commission and the open
// adjustments, largest net first, at most limit rows.
func (s *Store) PayoutBalances(ctx context.Context, tenantID, affiliateID string, limit int) ([]tracklane.PayoutBalance, error) {
	rows, err := s.db.QueryContext(ctx, `
		WITH pay AS (
			SELECT affiliate_id, currency, sum(commission) AS s, count(*) AS n FROM conversions c
			WHERE c.tenant_id = $1 AND ($2 = '' OR c.affiliate_id = $2) AND `+payableConversion+`
			GROUP BY 1, 2),
		debt AS (
			SELECT affiliate_id, currency, sum(amount) AS s FROM payout_debts
			WHERE tenant_id = $1 AND payout_id IS NULL AND ($2 = '' OR affiliate_id = $2)
			GROUP BY 1, 2)
		SELECT a.id, a.name, a.email, a.payout_email, COALESCE(pay.currency, debt.currency),
			COALESCE(pay.s, 0), COALESCE(pay.n, 0), COALESCE(debt.s, 0)
		FROM pay FULL JOIN debt ON debt.affiliate_id = pay.affiliate_id AND debt.currency = pay.currency
		JOIN affiliates a ON a.tenant_id = $1 AND a.id = COALESCE(pay.affiliate_id, debt.affiliate_id)
		ORDER BY COALESCE(pay.s, 0) + COALESCE(debt.s, 0) DESC, a.name, a.id, 5
		LIMIT $3`, tenantID, affiliateID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing payout balances: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "payout balance", func(r scanner) (tracklane.PayoutBalance, error) {
		var b tracklane.PayoutBalance
		return b, r.Scan(&b.AffiliateID, &b.AffiliateName, &b.AffiliateEmail, &b.PayoutEmail, &b.Currency,
			&b.Payable, &b.Conversions, &b.Adjustments)
	})
}

// PayoutDebts lists an affiliate's clawback ledger, newest first: open
// entries and those settled by a payout.
func (s *Store) PayoutDebts(ctx context.Context, tenantID, affiliateID string) ([]tracklane.PayoutDebt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, affiliate_id, conversion_id, currency, amount, reason, created_at, payout_id
		FROM payout_debts WHERE tenant_id = $1 AND affiliate_id = $2 ORDER BY id DESC LIMIT 1000`, tenantID, affiliateID)
	if err != nil {
		return nil, fmt.Errorf("listing payout debts: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "payout debt", func(r scanner) (tracklane.PayoutDebt, error) {
		var d tracklane.PayoutDebt
		var payout sql.NullString
		err := r.Scan(&d.ID, &d.AffiliateID, &d.ConversionID, &d.Currency, &d.Amount, &d.Reason, &d.CreatedAt, &payout)
		d.PayoutID, d.CreatedAt = payout.String, d.CreatedAt.UTC()
		return d, err
	})
}

// PayoutsMissingEmail lists the tenant's payouts of the given status
// (pending, usually) that the PayPal file leaves out: no payout email.
func (s *Store) PayoutsMissingEmail(ctx context.Context, tenantID string, status tracklane.PayoutStatus) ([]tracklane.Payout, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+payoutColumns+payoutFrom+`
		WHERE p.tenant_id = $1 AND p.status = $2
			AND p.payout_email = ''
		ORDER BY p.created_at DESC, p.id DESC LIMIT 1000`, tenantID, string(status))
	if err != nil {
		return nil, fmt.Errorf("listing payouts without a payout email: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "payout", scanPayout)
}

// EachPayout calls fn for every payout of the tenant with the given status,
// oldest first, streaming (the PayPal file). Conversion ids and
// adjustments are not filled.
func (s *Store) EachPayout(ctx context.Context, tenantID string, status tracklane.PayoutStatus, fn func(tracklane.Payout) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+payoutColumns+payoutFrom+`
		WHERE p.tenant_id = $1 AND p.status = $2 ORDER BY p.created_at, p.id`, tenantID, string(status))
	if err != nil {
		return fmt.Errorf("reading payouts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			return fmt.Errorf("scanning payout: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}
