package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// KnownEvents returns which of the events of a connection's account are
// already recorded (applied by a check or a webhook): a check skips them
// before asking Stripe anything about them.
func (s *Store) KnownEvents(ctx context.Context, accountID string, livemode bool, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT event_id FROM stripe_events
		WHERE event_id = ANY($1) AND account_id = $2 AND livemode = $3`, pq.Array(ids), accountID, livemode)
	if err != nil {
		return nil, fmt.Errorf("looking up recorded events: %w", err)
	}
	defer rows.Close()
	list, err := scanAll(rows, "event id", func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	for _, id := range list {
		known[id] = true
	}
	return known, err
}

// ChargeLinks returns what is known of how the charges and payment
// intents link to invoices: a charge recorded with its invoice, or made a
// payment of its own (invoice-less), or named by an invoice_payment.paid;
// a payment intent named by one. What is unknown is absent.
func (s *Store) ChargeLinks(ctx context.Context, accountID string, livemode bool, charges, paymentIntents []string) (tracklane.ChargeLinks, error) {
	out := tracklane.ChargeLinks{Charges: map[string]string{}, PaymentIntents: map[string]string{}}
	if len(charges) == 0 && len(paymentIntents) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT 'charge', charge_id, invoice_id FROM stripe_charges
			WHERE account_id = $1 AND livemode = $2 AND charge_id = ANY($3) AND invoice_id <> ''
		UNION ALL
		SELECT 'charge', source_id, '' FROM stripe_payments
			WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3) AND invoice_id = ''
		UNION ALL
		SELECT 'charge', charge_id, invoice_id FROM stripe_invoice_payments
			WHERE account_id = $1 AND livemode = $2 AND charge_id = ANY($3) AND charge_id <> ''
		UNION ALL
		SELECT 'intent', payment_intent_id, invoice_id FROM stripe_invoice_payments
			WHERE account_id = $1 AND livemode = $2 AND payment_intent_id = ANY($4) AND payment_intent_id <> ''`,
		accountID, livemode, pq.Array(charges), pq.Array(paymentIntents))
	if err != nil {
		return out, fmt.Errorf("looking up charge links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, id, invoice string
		if err := rows.Scan(&kind, &id, &invoice); err != nil {
			return out, fmt.Errorf("looking up charge links: %w", err)
		}
		m := out.Charges
		if kind == "intent" {
			m = out.PaymentIntents
		}
		if prev, ok := m[id]; !ok || prev == "" {
			m[id] = invoice
		}
	}
	return out, rows.Err()
}
