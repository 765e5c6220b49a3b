package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/payout"
	"github.com/tracklane/tracklane/server/tracklane"
)

// PayoutMail composes the "payout paid" mail for a payout just marked paid
// (amounts frozen) and its affiliate; the store writes it to the outbox in
// the same transaction (an error aborts the payment).
type PayoutMail func(p tracklane.Payout, a tracklane.Affiliate) (mail.Message, error)

// lockPayoutFor locks the tenant's payout id for a move to status to and
// asks the payout rule whether its status allows it: another tenant's or
// no payout → not_found, a refused move → conflict.
func lockPayoutFor(ctx context.Context, tx *sql.Tx, tenantID, id string, to tracklane.PayoutStatus) error {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM payouts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&status)
	if err != nil {
		return notFound(err, "no payout %q", id)
	}
	return payout.Transition(id, tracklane.PayoutStatus(status), to)
}

// MarkPayoutPaid marks a pending payout paid with the merchant's
// reference: the commission of each of its conversions is frozen as paid
// (what a later refund is clawed back against), its amount is frozen (its
// payout email is the one it was created with), and compose's mail is
// queued in the same transaction.
// A payout whose amount is not positive (refunds since it was created)
// cannot be paid: conflict, nothing changes.
func (s *Store) MarkPayoutPaid(ctx context.Context, tenantID, id, reference string, compose PayoutMail) (tracklane.Payout, error) {
	var out tracklane.Payout
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		if err := lockPayoutFor(ctx, tx, tenantID, id, tracklane.PayoutPaid); err != nil {
			return err
		}
		// Locks the conversions: a refund committing first is seen here; one
		// committing later sees paid_commission and records a debt. The
		// conversion now names the payout that paid it (payout_id).
		if _, err := tx.ExecContext(ctx, `UPDATE conversions c SET paid_commission = `+earnedCommission+`, payout_id = $2
			WHERE c.id = ANY(ARRAY(SELECT i.conversion_id FROM payout_items i WHERE i.payout_id = $2)) AND c.tenant_id = $1`, tenantID, id); err != nil {
			return fmt.Errorf("freezing paid commissions: %w", err)
		}
		p, err := s.payout(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if err := payout.CheckPayable(id, p.Amount); err != nil {
			return err
		}
		now := s.Now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'paid', amount = $3, reference = $4, paid_at = $5
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, p.Amount, reference, now); err != nil {
			return fmt.Errorf("marking payout paid: %w", err)
		}
		if out, err = s.payout(ctx, tx, tenantID, id); err != nil {
			return err
		}
		a, err := scanAffiliate(tx.QueryRowContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates WHERE tenant_id = $1 AND id = $2`, tenantID, p.AffiliateID))
		if err != nil {
			return fmt.Errorf("reading the payout's affiliate: %w", err)
		}
		m, err := compose(out, a)
		if err != nil {
			return err
		}
		return enqueueMail(ctx, tx, m)
	})
	if err != nil {
		return tracklane.Payout{}, err
	}
	return out, nil
}

// CancelPayout cancels a pending payout: its conversions and adjustments
// become payable again (the payout keeps the list of conversions it held
// and its amount at cancellation).
func (s *Store) CancelPayout(ctx context.Context, tenantID, id string) (tracklane.Payout, error) {
	var out tracklane.Payout
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		if err := lockPayoutFor(ctx, tx, tenantID, id, tracklane.PayoutCancelled); err != nil {
			return err
		}
		p, err := s.payout(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payouts p SET status = 'cancelled', amount = $3, cancelled_at = $4,
				cancelled_conversion_ids = ARRAY(SELECT i.conversion_id FROM payout_items i WHERE i.payout_id = p.id ORDER BY 1)
			WHERE p.tenant_id = $1 AND p.id = $2`,
			tenantID, id, p.Amount, s.Now().UTC()); err != nil {
			return fmt.Errorf("cancelling payout: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM payout_items WHERE tenant_id = $1 AND payout_id = $2`, tenantID, id); err != nil {
			return fmt.Errorf("freeing the payout's conversions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payout_debts SET payout_id = NULL WHERE tenant_id = $1 AND payout_id = $2`, tenantID, id); err != nil {
			return fmt.Errorf("freeing the payout's adjustments: %w", err)
		}
		out, err = s.payout(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		return tracklane.Payout{}, err
	}
	return out, nil
}
