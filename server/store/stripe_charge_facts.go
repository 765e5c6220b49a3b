package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The facts of SPEC section 13 beyond a charge's refund total and dispute:
// what a charge captured and its payment intent, refunds by id (one that
// fails or is cancelled gives the amount back), which invoice a payment
// intent paid (invoice_payment.paid), and credit notes. Each is recorded
// with the same kind of rule as the other facts: it only grows, or the
// later event wins, so the end state does not depend on the order.

// moreFacts is a batch's facts of these kinds, merged per object.
type moreFacts struct {
	captures     map[string]chargeExtra // by charge
	captureEvent map[string]string
	refunds      map[string]tracklane.RefundFact
	refundEvent  map[string]string
	payments     []tracklane.InvoicePaymentFact
	payEvent     []string
	notes        map[string]tracklane.CreditNoteFact
	noteEvent    map[string]string
}

// chargeExtra is what a batch says of a charge's payment intent and
// capture, and its latest payload's amount_refunded; linked: the batch
// knows its invoice, or that it has none (it is a payment of its own).
type chargeExtra struct {
	paymentIntent string
	captured      *int64
	refunded      *int64
	refundedAt    int64
	linked        bool
}

func mergeMoreFacts(events []tracklane.StripeEvent) moreFacts {
	m := moreFacts{captures: map[string]chargeExtra{}, captureEvent: map[string]string{}, refunds: map[string]tracklane.RefundFact{}, refundEvent: map[string]string{},
		notes: map[string]tracklane.CreditNoteFact{}, noteEvent: map[string]string{}}
	for _, ev := range events {
		if c := ev.Charge; c != nil && (c.PaymentIntentID != "" || c.AmountCaptured != nil) {
			x := m.captures[c.ChargeID]
			x.linked = x.linked || c.InvoiceID != "" || (ev.Payment != nil && ev.Payment.SourceID == c.ChargeID)
			if c.PaymentIntentID != "" {
				x.paymentIntent = c.PaymentIntentID
			}
			if c.AmountCaptured != nil && (x.captured == nil || *c.AmountCaptured > *x.captured) {
				v := *c.AmountCaptured
				x.captured = &v
			}
			// A payload of the charge itself says what it captured: its
			// amount_refunded is a snapshot at the event's time.
			if at := ev.Created.Unix(); c.AmountCaptured != nil && (x.refunded == nil || latestRefunded(at, c.AmountRefunded, x.refundedAt, *x.refunded)) {
				v := c.AmountRefunded
				x.refunded, x.refundedAt = &v, at
			}
			m.captures[c.ChargeID], m.captureEvent[c.ChargeID] = x, ev.ID
		}
		for _, r := range ev.Refunds {
			old, ok := m.refunds[r.RefundID]
			switch {
			case ok && r.Status == old.Status: // the status is as old as it was first seen
				if r.At.Before(old.At) {
					old.At = r.At
				}
				old.Amount = max(old.Amount, r.Amount)
				m.refunds[r.RefundID] = old
			case !ok || refundWins(r, old):
				if ok {
					r.Amount = max(old.Amount, r.Amount)
				}
				m.refunds[r.RefundID], m.refundEvent[r.RefundID] = r, ev.ID
			}
		}
		if p := ev.InvoicePayment; p != nil && p.InvoiceID != "" {
			m.payments, m.payEvent = append(m.payments, *p), append(m.payEvent, ev.ID)
		}
		if n := ev.CreditNote; n != nil && n.CreditNoteID != "" {
			old, ok := m.notes[n.CreditNoteID]
			if ok {
				n2 := *n
				n2.Void = n.Void || old.Void
				n2.Unrefunded = max(n.Unrefunded, old.Unrefunded)
				n = &n2
			}
			m.notes[n.CreditNoteID], m.noteEvent[n.CreditNoteID] = *n, ev.ID
		}
	}
	return m
}

// latestRefunded: a charge's amount_refunded follows its later payload; at
// the same second the larger stands (a refund made then).
func latestRefunded(at, refunded, oldAt, oldRefunded int64) bool {
	return at > oldAt || (at == oldAt && refunded > oldRefunded)
}

// latestRefundedWins is latestRefunded for the upsert of stripe_charges.
const latestRefundedWins = `excluded.refunded_latest IS NOT NULL AND (c.refunded_latest_at IS NULL
	OR excluded.refunded_latest_at > c.refunded_latest_at
	OR (excluded.refunded_latest_at = c.refunded_latest_at AND excluded.refunded_latest > c.refunded_latest))`

// chargeColumnsMerge merges the columns chargeColumns fills into a stored
// charge: its payment intent once known, the capture only grows, the
// latest payload's amount_refunded follows the later event.
const chargeColumnsMerge = `payment_intent_id = CASE WHEN excluded.payment_intent_id <> '' THEN excluded.payment_intent_id ELSE c.payment_intent_id END,
	amount_captured = CASE WHEN excluded.amount_captured IS NULL THEN c.amount_captured
		ELSE GREATEST(coalesce(c.amount_captured, 0), excluded.amount_captured) END,
	refunded_latest = CASE WHEN ` + latestRefundedWins + ` THEN excluded.refunded_latest ELSE c.refunded_latest END,
	refunded_latest_at = CASE WHEN ` + latestRefundedWins + ` THEN excluded.refunded_latest_at ELSE c.refunded_latest_at END`

// chargeColumns are, for recordCharges, the batch's payment intent,
// capture and latest amount_refunded (with its time) of the charges.
func (m moreFacts) chargeColumns(charges []string) (pi []string, captured, refunded, at []*int64) {
	n := len(charges)
	pi, captured, refunded, at = make([]string, n), make([]*int64, n), make([]*int64, n), make([]*int64, n)
	for i, id := range charges {
		x := m.captures[id]
		pi[i], captured[i], refunded[i] = x.paymentIntent, x.captured, x.refunded
		if x.refunded != nil {
			t := x.refundedAt
			at[i] = &t
		}
	}
	return pi, captured, refunded, at
}

// refundWins: a refund's status follows its later event; at the same
// second a refund that failed or was cancelled stays so (neither comes
// back). The time kept is when its status was first seen: a payload that
// still shows a failed refund as failed is no later failure.
func refundWins(r, old tracklane.RefundFact) bool {
	return r.At.After(old.At) || (r.At.Equal(old.At) && r.Failed())
}

// refundStatusWins is refundWins for the upsert of stripe_refunds.
const refundStatusWins = `excluded.status <> '' AND (excluded.status_at > r.status_at
	OR (excluded.status_at = r.status_at AND excluded.status IN ('failed', 'canceled')))`

// recordMoreFacts stores the batch's refunds, invoice payments and credit
// notes (recordCharges stored the charges' captures), links the charges
// left without an invoice, and adds the payments all this touches to
// causes (refunds name their charge as a ChargeFact too, which
// recordCharges follows to its payment).
func (a *applier) recordMoreFacts(m moreFacts, causes map[string]string) error {
	if err := a.linkCharges(m, causes); err != nil {
		return err
	}
	if err := a.recordRefunds(m); err != nil {
		return err
	}
	if err := a.recordInvoicePayments(m, causes); err != nil {
		return err
	}
	return a.recordCreditNotes(m, causes)
}

// linkCharges gives a charge the batch left without an invoice the one an
// invoice_payment.paid named for its payment intent, and brings that
// invoice's payment up (the charge's refunds count there).
func (a *applier) linkCharges(m moreFacts, causes map[string]string) error {
	var unlinked []string
	for id, x := range m.captures {
		if !x.linked && x.paymentIntent != "" {
			unlinked = append(unlinked, id)
		}
	}
	if len(unlinked) == 0 {
		return nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `UPDATE stripe_charges c SET invoice_id = ip.invoice_id
		FROM stripe_invoice_payments ip
		WHERE c.account_id = $1 AND c.livemode = $2 AND c.charge_id = ANY($3) AND c.invoice_id = ''
			AND ip.account_id = $1 AND ip.livemode = $2 AND ip.payment_intent_id = c.payment_intent_id AND c.payment_intent_id <> ''
		RETURNING c.charge_id, c.invoice_id`, a.account, a.livemode, pq.Array(unlinked))
	if err != nil {
		return fmt.Errorf("linking charges to invoices: %w", err)
	}
	linked := map[string]string{} // invoice → the event of the batch that spoke of its charge
	if err := scanPairs(rows, func(charge, invoice string) { linked[invoice] = m.captureEvent[charge] }); err != nil {
		return fmt.Errorf("linking charges to invoices: %w", err)
	}
	return a.causeInvoices(linked, causes)
}

// causeInvoices adds the payments of invoices to causes, each with its
// event.
func (a *applier) causeInvoices(event map[string]string, causes map[string]string) error {
	if len(event) == 0 {
		return nil
	}
	inv := make([]string, 0, len(event))
	for id := range event {
		inv = append(inv, id)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT invoice_id, source_id FROM stripe_payments
		WHERE account_id = $1 AND livemode = $2 AND invoice_id = ANY($3) AND invoice_id <> ''`, a.account, a.livemode, pq.Array(inv))
	if err != nil {
		return fmt.Errorf("finding payments of invoices: %w", err)
	}
	if err := scanPairs(rows, func(invoice, source string) {
		if _, ok := causes[source]; !ok {
			causes[source] = event[invoice]
		}
	}); err != nil {
		return fmt.Errorf("finding payments of invoices: %w", err)
	}
	return nil
}

func (a *applier) recordRefunds(m moreFacts) error {
	n := len(m.refunds)
	if n == 0 {
		return nil
	}
	ids, charges, statuses, evs := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	amounts, at := make([]int64, 0, n), make([]int64, 0, n)
	for id, r := range m.refunds {
		ids, charges, statuses, evs = append(ids, id), append(charges, r.ChargeID), append(statuses, r.Status), append(evs, m.refundEvent[id])
		amounts, at = append(amounts, r.Amount), append(at, r.At.Unix())
	}
	if err := a.exec(`INSERT INTO stripe_refunds AS r (tenant_id, account_id, livemode, refund_id, charge_id, amount, status, status_at, event_id)
		SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[]) AS u
		ON CONFLICT (account_id, livemode, refund_id) DO UPDATE SET
			amount = GREATEST(r.amount, excluded.amount),
			status = CASE WHEN `+refundStatusWins+` THEN excluded.status ELSE r.status END,
			event_id = CASE WHEN excluded.status <> r.status AND `+refundStatusWins+` THEN excluded.event_id ELSE r.event_id END,
			status_at = CASE WHEN excluded.status = r.status THEN LEAST(r.status_at, excluded.status_at)
				WHEN `+refundStatusWins+` THEN excluded.status_at ELSE r.status_at END`,
		a.tenant.ID, a.account, a.livemode, pq.Array(ids), pq.Array(charges), pq.Array(amounts), pq.Array(statuses),
		pq.Array(at), pq.Array(evs)); err != nil {
		return fmt.Errorf("recording refunds: %w", err)
	}
	return nil
}

// recordInvoicePayments stores which invoice a payment intent (or a
// charge) paid, gives that invoice to the charges recorded without one,
// and brings up the invoice's payment when it did (their refunds count
// there).
func (a *applier) recordInvoicePayments(m moreFacts, causes map[string]string) error {
	n := len(m.payments)
	if n == 0 {
		return nil
	}
	inv, pi, ch := make([]string, n), make([]string, n), make([]string, n)
	for i, p := range m.payments {
		inv[i], pi[i], ch[i] = p.InvoiceID, p.PaymentIntentID, p.ChargeID
	}
	if err := a.exec(`INSERT INTO stripe_invoice_payments (tenant_id, account_id, livemode, invoice_id, payment_intent_id, charge_id, event_id)
		SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u
		ON CONFLICT DO NOTHING`,
		a.tenant.ID, a.account, a.livemode, pq.Array(inv), pq.Array(pi), pq.Array(ch), pq.Array(m.payEvent)); err != nil {
		return fmt.Errorf("recording invoice payments: %w", err)
	}
	// By payment intent, or by charge (one made without a payment intent):
	// two index probes each, not an OR.
	rows, err := a.tx.QueryContext(a.ctx, `WITH by_intent AS (
			UPDATE stripe_charges c SET invoice_id = u.inv FROM unnest($3::text[], $4::text[]) AS u(inv, pi)
			WHERE c.account_id = $1 AND c.livemode = $2 AND c.invoice_id = '' AND c.payment_intent_id <> ''
				AND c.payment_intent_id = u.pi
			RETURNING c.invoice_id
		), by_charge AS (
			UPDATE stripe_charges c SET invoice_id = u.inv FROM unnest($3::text[], $5::text[]) AS u(inv, ch)
			WHERE c.account_id = $1 AND c.livemode = $2 AND c.invoice_id = '' AND c.charge_id = u.ch AND u.ch <> ''
			RETURNING c.invoice_id
		)
		SELECT invoice_id FROM by_intent UNION SELECT invoice_id FROM by_charge`,
		a.account, a.livemode, pq.Array(inv), pq.Array(pi), pq.Array(ch))
	if err != nil {
		return fmt.Errorf("linking charges to invoices: %w", err)
	}
	event := map[string]string{}
	for i, id := range inv {
		event[id] = m.payEvent[i]
	}
	linked := map[string]string{}
	if err := scanColumn(rows, func(invoice string) { linked[invoice] = event[invoice] }); err != nil {
		return fmt.Errorf("linking charges to invoices: %w", err)
	}
	return a.causeInvoices(linked, causes)
}

// scanColumn reads one-column text rows.
func scanColumn(rows *sql.Rows, fn func(string)) error {
	defer rows.Close()
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return err
		}
		fn(x)
	}
	return rows.Err()
}

func (a *applier) recordCreditNotes(m moreFacts, causes map[string]string) error {
	n := len(m.notes)
	if n == 0 {
		return nil
	}
	ids, inv, evs := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	unrefunded, void := make([]int64, 0, n), make([]bool, 0, n)
	event := map[string]string{}
	for id, cn := range m.notes {
		ids, inv, evs = append(ids, id), append(inv, cn.InvoiceID), append(evs, m.noteEvent[id])
		unrefunded, void = append(unrefunded, cn.Unrefunded), append(void, cn.Void)
		event[cn.InvoiceID] = m.noteEvent[id]
	}
	// A voided note stays void; its amount never changes.
	if err := a.exec(`INSERT INTO stripe_credit_notes AS n (tenant_id, account_id, livemode, credit_note_id, invoice_id, unrefunded, void, event_id)
		SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::bigint[], $7::boolean[], $8::text[]) AS u
		ON CONFLICT (account_id, livemode, credit_note_id) DO UPDATE SET
			unrefunded = GREATEST(n.unrefunded, excluded.unrefunded),
			void = n.void OR excluded.void,
			event_id = CASE WHEN excluded.void AND NOT n.void THEN excluded.event_id ELSE n.event_id END`,
		a.tenant.ID, a.account, a.livemode, pq.Array(ids), pq.Array(inv), pq.Array(unrefunded), pq.Array(void), pq.Array(evs)); err != nil {
		return fmt.Errorf("recording credit notes: %w", err)
	}
	return a.causeInvoices(event, causes)
}

// chargeMoneyColumns are what addMoneyBack reads of a charge.
const chargeMoneyColumns = `c.charge_id, c.amount, coalesce(c.amount_captured, -1) AS captured,
	coalesce(c.refunded_latest, c.amount_refunded) AS seen, coalesce(c.refunded_latest_at, 0) AS seen_at`

// addMoneyBack sets each payment's Refunded and Credited: its charges'
// refunds as conversion.ChargeRefunds counts them (the largest over its
// charges, as an invoice retried after a failed charge has several), and
// the unrefunded part of its invoice's credit notes that are not void.
func (a *applier) addMoneyBack(ps []attribution.Payment) error {
	if len(ps) == 0 {
		return nil
	}
	sources := make([]string, len(ps))
	for i, p := range ps {
		sources[i] = p.SourceID
	}
	rows, err := a.tx.QueryContext(a.ctx, `WITH p AS (
			SELECT source_id, invoice_id, charge_id FROM stripe_payments
			WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)
		), ch AS ( -- a payment's charges: its own, or those of its invoice (two index probes, not an OR)
			SELECT p.source_id, `+chargeMoneyColumns+` FROM p JOIN stripe_charges c ON c.account_id = $1 AND c.livemode = $2
				AND c.charge_id IN (p.charge_id, p.source_id)
			UNION
			SELECT p.source_id, `+chargeMoneyColumns+` FROM p JOIN stripe_charges c ON c.account_id = $1 AND c.livemode = $2
				AND c.invoice_id = p.invoice_id WHERE p.invoice_id <> '' AND c.invoice_id <> '' -- the partial index's predicate
		)
		SELECT 'charge', ch.source_id, ch.charge_id, ch.amount, ch.captured, ch.seen, ch.seen_at,
			coalesce(r.amount, 0), coalesce(r.status, ''), coalesce(r.status_at, 0), r.refund_id IS NOT NULL
		FROM ch LEFT JOIN stripe_refunds r ON r.account_id = $1 AND r.livemode = $2 AND r.charge_id = ch.charge_id
		UNION ALL
		SELECT 'credit', p.source_id, '', 0, 0, 0, 0, n.unrefunded, '', 0, false
		FROM p JOIN stripe_credit_notes n ON n.account_id = $1 AND n.livemode = $2 AND n.invoice_id = p.invoice_id
		WHERE p.invoice_id <> '' AND NOT n.void`, a.account, a.livemode, pq.Array(sources))
	if err != nil {
		return fmt.Errorf("reading refunds and credit notes: %w", err)
	}
	defer rows.Close()
	type key struct{ source, charge string }
	charges := map[key]*conversion.ChargeRefunds{}
	credited := map[string]int64{}
	for rows.Next() {
		var kind, source, charge, status string
		var amount, captured, seen, seenAt, refund, statusAt int64
		var hasRefund bool
		if err := rows.Scan(&kind, &source, &charge, &amount, &captured, &seen, &seenAt, &refund, &status, &statusAt, &hasRefund); err != nil {
			return fmt.Errorf("reading refunds and credit notes: %w", err)
		}
		if kind == "credit" {
			credited[source] += refund
			continue
		}
		c := charges[key{source, charge}]
		if c == nil {
			c = &conversion.ChargeRefunds{Amount: amount, Captured: captured, Seen: seen}
			if seenAt > 0 {
				c.SeenAt = time.Unix(seenAt, 0)
			}
			charges[key{source, charge}] = c
		}
		if hasRefund {
			c.Refunds = append(c.Refunds, conversion.Refund{Amount: refund, At: time.Unix(statusAt, 0),
				Failed: tracklane.RefundFact{Status: status}.Failed()})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading refunds and credit notes: %w", err)
	}
	refunded := map[string]int64{}
	for k, c := range charges {
		refunded[k.source] = max(refunded[k.source], c.Refunded())
	}
	for i := range ps {
		ps[i].Refunded, ps[i].Credited = refunded[ps[i].SourceID], credited[ps[i].SourceID]
	}
	return nil
}
