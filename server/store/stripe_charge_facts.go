package store

import (
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The facts of SPEC section 13 beyond a charge's own (its capture and
// latest amount_refunded are merged by mergeCharge): refunds by id (one
// that fails or is cancelled gives the amount back), which invoice a
// payment intent paid (invoice_payment.paid), and credit notes. Each is
// merged in Go like the other facts, from what is stored (read and locked
// first) through each event of the batch, by a rule under which the end
// state does not depend on the order; the statements only store the
// outcome.

// moreFacts is a batch's facts of these kinds, merged per object.
type moreFacts struct {
	refunds      map[string]*refundMerge
	refundOrder  []string
	invPayments  []tracklane.InvoicePaymentFact // in the batch's order; the first stored of each stands
	invPayEvent  []string
	notes        map[string]*noteMerge
	noteOrder    []string
	noteLastSeen map[string]string // the batch's last event that spoke of each note
}

func newMoreFacts() moreFacts {
	return moreFacts{refunds: map[string]*refundMerge{}, notes: map[string]*noteMerge{}, noteLastSeen: map[string]string{}}
}

// refundMerge is what is known of one refund.
type refundMerge struct {
	tracklane.RefundFact
	event  string // the event that gave it its status
	stored bool   // the row exists: updated, not inserted
}

// merge adds a later statement of the refund: its amount is the largest
// stated; its status follows the later event, and at the same second one
// that failed or was cancelled stays so (neither comes back). The time
// kept is when its status was first seen: a payload that still shows a
// failed refund as failed is no later failure.
func (m *refundMerge) merge(r tracklane.RefundFact, event string) {
	m.Amount = max(m.Amount, r.Amount)
	if m.ChargeID == "" {
		m.ChargeID = r.ChargeID
	}
	switch {
	case r.Status == m.Status:
		if r.At.Before(m.At) {
			m.At = r.At
		}
	case r.Status != "" && (r.At.After(m.At) || (r.At.Equal(m.At) && r.Failed())):
		m.Status, m.At, m.event = r.Status, r.At, event
	}
}

// noteMerge is what is known of one credit note.
type noteMerge struct {
	tracklane.CreditNoteFact
	event  string // the event that recorded it, or voided it
	stored bool   // the row exists: updated, not inserted
}

// merge adds a later statement of the credit note: a voided note stays
// void; its unrefunded part is the largest stated (it never changes).
func (m *noteMerge) merge(n tracklane.CreditNoteFact, event string) {
	if m.InvoiceID == "" {
		m.InvoiceID = n.InvoiceID
	}
	m.Unrefunded = max(m.Unrefunded, n.Unrefunded)
	if n.Void && !m.Void {
		m.Void, m.event = true, event
	}
}

// mergeMore adds what an event says of refunds, invoice payments and
// credit notes.
func (b *factBatch) mergeMore(known storedFacts, ev tracklane.StripeEvent) {
	for _, r := range ev.Refunds {
		if r.RefundID == "" {
			continue
		}
		m, ok := b.refunds[r.RefundID]
		if !ok {
			m = &refundMerge{RefundFact: r, event: ev.ID}
			if s, stored := known.refunds[r.RefundID]; stored {
				m = &s
				m.merge(r, ev.ID)
			}
			b.refunds[r.RefundID] = m
			b.refundOrder = append(b.refundOrder, r.RefundID)
		} else {
			m.merge(r, ev.ID)
		}
	}
	if p := ev.InvoicePayment; p != nil && p.InvoiceID != "" {
		b.invPayments, b.invPayEvent = append(b.invPayments, *p), append(b.invPayEvent, ev.ID)
	}
	if n := ev.CreditNote; n != nil && n.CreditNoteID != "" {
		m, ok := b.notes[n.CreditNoteID]
		if !ok {
			m = &noteMerge{CreditNoteFact: *n, event: ev.ID}
			if s, stored := known.notes[n.CreditNoteID]; stored {
				m = &s
				m.merge(*n, ev.ID)
			}
			b.notes[n.CreditNoteID] = m
			b.noteOrder = append(b.noteOrder, n.CreditNoteID)
		} else {
			m.merge(*n, ev.ID)
		}
		b.noteLastSeen[n.CreditNoteID] = ev.ID
	}
}

// storedMoreFacts reads and locks the stored refunds and credit notes the
// events speak of.
func (a *applier) storedMoreFacts(events []tracklane.StripeEvent, known *storedFacts) error {
	known.refunds, known.notes = map[string]refundMerge{}, map[string]noteMerge{}
	var refunds, notes []string
	for _, ev := range events {
		for _, r := range ev.Refunds {
			refunds = append(refunds, r.RefundID)
		}
		if n := ev.CreditNote; n != nil && n.CreditNoteID != "" {
			notes = append(notes, n.CreditNoteID)
		}
	}
	if len(refunds) > 0 {
		err := eachRow(a.ctx, a.tx, func(r scanner) error {
			m := refundMerge{stored: true}
			var at int64
			if err := r.Scan(&m.RefundID, &m.ChargeID, &m.Amount, &m.Status, &at, &m.event); err != nil {
				return err
			}
			m.At = time.Unix(at, 0).UTC()
			known.refunds[m.RefundID] = m
			return nil
		}, `SELECT refund_id, charge_id, amount, status, status_at, event_id FROM stripe_refunds
			WHERE account_id = $1 AND livemode = $2 AND refund_id = ANY($3)
			ORDER BY refund_id FOR UPDATE`, a.account, a.livemode, pq.Array(refunds))
		if err != nil {
			return fmt.Errorf("reading stored refunds: %w", err)
		}
	}
	if len(notes) > 0 {
		err := eachRow(a.ctx, a.tx, func(r scanner) error {
			m := noteMerge{stored: true}
			if err := r.Scan(&m.CreditNoteID, &m.InvoiceID, &m.Unrefunded, &m.Void, &m.event); err != nil {
				return err
			}
			known.notes[m.CreditNoteID] = m
			return nil
		}, `SELECT credit_note_id, invoice_id, unrefunded, void, event_id FROM stripe_credit_notes
			WHERE account_id = $1 AND livemode = $2 AND credit_note_id = ANY($3)
			ORDER BY credit_note_id FOR UPDATE`, a.account, a.livemode, pq.Array(notes))
		if err != nil {
			return fmt.Errorf("reading stored credit notes: %w", err)
		}
	}
	return nil
}

// storedLinks is what the store holds that may name the invoice of a
// charge recorded without one: the invoice payments stored for the
// batch's unlinked charges, and the stored unlinked charges (locked) that
// the batch's invoice payments name.
type storedLinks struct {
	payments []tracklane.InvoicePaymentFact
	charges  []chargeMerge
}

// unlinked reports whether a charge still waits for its invoice.
func (m *chargeMerge) unlinked() bool { return m.InvoiceID == "" && !m.own }

// storedLinks reads what factBatch.link needs beyond the batch; it asks
// nothing when every charge of the batch is linked and no invoice
// payment came.
func (a *applier) storedLinks(b factBatch) (storedLinks, error) {
	var l storedLinks
	var intents, charges []string
	for _, id := range b.chargeOrder {
		if m := b.charges[id]; m.unlinked() {
			intents, charges = append(intents, m.PaymentIntentID), append(charges, id)
		}
	}
	if len(charges) > 0 {
		// By payment intent, or by charge (one made without a payment
		// intent): two index probes each, not an OR.
		err := eachRow(a.ctx, a.tx, func(r scanner) error {
			var p tracklane.InvoicePaymentFact
			if err := r.Scan(&p.InvoiceID, &p.PaymentIntentID, &p.ChargeID); err != nil {
				return err
			}
			l.payments = append(l.payments, p)
			return nil
		}, `SELECT invoice_id, payment_intent_id, charge_id FROM stripe_invoice_payments
				WHERE account_id = $1 AND livemode = $2 AND payment_intent_id <> '' AND payment_intent_id = ANY($3)
			UNION
			SELECT invoice_id, payment_intent_id, charge_id FROM stripe_invoice_payments
				WHERE account_id = $1 AND livemode = $2 AND charge_id <> '' AND charge_id = ANY($4)
			ORDER BY invoice_id, payment_intent_id, charge_id`, a.account, a.livemode, pq.Array(intents), pq.Array(charges))
		if err != nil {
			return l, fmt.Errorf("reading invoice payments: %w", err)
		}
	}
	if len(b.invPayments) == 0 {
		return l, nil
	}
	intents, charges = intents[:0], charges[:0]
	for _, p := range b.invPayments {
		intents, charges = append(intents, p.PaymentIntentID), append(charges, p.ChargeID)
	}
	err := eachRow(a.ctx, a.tx, func(r scanner) error {
		m, err := scanChargeMerge(r)
		if _, inBatch := b.charges[m.ChargeID]; !inBatch {
			l.charges = append(l.charges, m)
		}
		return err
	}, `SELECT `+chargeMergeColumns+` FROM stripe_charges c
		WHERE c.account_id = $1 AND c.livemode = $2 AND c.invoice_id = ''
			AND ((c.payment_intent_id <> '' AND c.payment_intent_id = ANY($3)) OR c.charge_id = ANY($4))
		ORDER BY c.charge_id FOR UPDATE OF c`, a.account, a.livemode, pq.Array(intents), pq.Array(charges))
	if err != nil {
		return l, fmt.Errorf("reading charges without an invoice: %w", err)
	}
	return l, nil
}

// link gives each charge still without an invoice (and not a payment of
// its own) the invoice an invoice_payment.paid named for its payment
// intent or for it: the stored ones first, then the batch's in order. A
// stored charge that a batch's invoice payment links joins the batch,
// with that event.
func (b *factBatch) link(l storedLinks) {
	type named struct {
		tracklane.InvoicePaymentFact
		event string
	}
	paid := make([]named, 0, len(l.payments)+len(b.invPayments))
	for _, p := range l.payments {
		paid = append(paid, named{InvoicePaymentFact: p})
	}
	for i, p := range b.invPayments {
		paid = append(paid, named{p, b.invPayEvent[i]})
	}
	find := func(m *chargeMerge) (named, bool) {
		for _, p := range paid {
			if (p.PaymentIntentID != "" && p.PaymentIntentID == m.PaymentIntentID) || (p.ChargeID != "" && p.ChargeID == m.ChargeID) {
				return p, true
			}
		}
		return named{}, false
	}
	for _, id := range b.chargeOrder {
		if m := b.charges[id]; m.unlinked() {
			if p, ok := find(m); ok {
				m.InvoiceID = p.InvoiceID
			}
		}
	}
	for i := range l.charges {
		m := &l.charges[i]
		if !m.unlinked() {
			continue
		}
		if p, ok := find(m); ok && p.event != "" {
			m.InvoiceID = p.InvoiceID
			b.charges[m.ChargeID], b.chargeOrder = m, append(b.chargeOrder, m.ChargeID)
			b.chargeEvent[m.ChargeID] = p.event
		}
	}
}

// recordMoreFacts stores the batch's refunds, invoice payments and credit
// notes as merged (recordCharges stored the charges, with the invoices
// link gave them) and adds the payments of the credit notes' invoices to
// causes (refunds name their charge as a ChargeFact too, which
// recordCharges follows to its payment).
func (a *applier) recordMoreFacts(m moreFacts, causes map[string]string) error {
	if err := a.recordRefunds(m); err != nil {
		return err
	}
	if err := a.recordInvoicePayments(m); err != nil {
		return err
	}
	return a.recordCreditNotes(m, causes)
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
	n := len(m.refundOrder)
	if n == 0 {
		return nil
	}
	ids, charges, statuses, evs, stored := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	amounts, at := make([]int64, n), make([]int64, n)
	for i, id := range m.refundOrder {
		r := m.refunds[id]
		ids[i], charges[i], statuses[i], evs[i], stored[i] = id, r.ChargeID, r.Status, r.event, r.stored
		amounts[i], at[i] = r.Amount, r.At.Unix()
	}
	if err := a.exec(`WITH u AS (
			SELECT * FROM unnest($4::bool[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[])
				AS u(stored, id, charge, amount, status, status_at, ev)
		), upd AS (
			UPDATE stripe_refunds r SET charge_id = u.charge, amount = u.amount, status = u.status, status_at = u.status_at, event_id = u.ev
			FROM u WHERE u.stored AND r.account_id = $2 AND r.livemode = $3 AND r.refund_id = u.id
		)
		INSERT INTO stripe_refunds (tenant_id, account_id, livemode, refund_id, charge_id, amount, status, status_at, event_id)
		SELECT $1, $2, $3, u.id, u.charge, u.amount, u.status, u.status_at, u.ev FROM u WHERE NOT u.stored`,
		a.tenant.ID, a.account, a.livemode, pq.Array(stored), pq.Array(ids), pq.Array(charges), pq.Array(amounts), pq.Array(statuses),
		pq.Array(at), pq.Array(evs)); err != nil {
		return fmt.Errorf("recording refunds: %w", err)
	}
	return nil
}

// recordInvoicePayments stores which invoice a payment intent (or a
// charge) paid; the first record of each stands (link already gave the
// charges recorded without an invoice theirs).
func (a *applier) recordInvoicePayments(m moreFacts) error {
	n := len(m.invPayments)
	if n == 0 {
		return nil
	}
	inv, pi, ch := make([]string, n), make([]string, n), make([]string, n)
	for i, p := range m.invPayments {
		inv[i], pi[i], ch[i] = p.InvoiceID, p.PaymentIntentID, p.ChargeID
	}
	if err := a.exec(`INSERT INTO stripe_invoice_payments (tenant_id, account_id, livemode, invoice_id, payment_intent_id, charge_id, event_id)
		SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u
		ON CONFLICT DO NOTHING`,
		a.tenant.ID, a.account, a.livemode, pq.Array(inv), pq.Array(pi), pq.Array(ch), pq.Array(m.invPayEvent)); err != nil {
		return fmt.Errorf("recording invoice payments: %w", err)
	}
	return nil
}

// recordCreditNotes stores the batch's credit notes as merged and adds
// their invoices' payments to causes.
func (a *applier) recordCreditNotes(m moreFacts, causes map[string]string) error {
	n := len(m.noteOrder)
	if n == 0 {
		return nil
	}
	ids, inv, evs, stored := make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	unrefunded, void := make([]int64, n), make([]bool, n)
	event := map[string]string{}
	for i, id := range m.noteOrder {
		cn := m.notes[id]
		ids[i], inv[i], evs[i], stored[i], unrefunded[i], void[i] = id, cn.InvoiceID, cn.event, cn.stored, cn.Unrefunded, cn.Void
		event[cn.InvoiceID] = m.noteLastSeen[id]
	}
	if err := a.exec(`WITH u AS (
			SELECT * FROM unnest($4::bool[], $5::text[], $6::text[], $7::bigint[], $8::boolean[], $9::text[])
				AS u(stored, id, inv, unrefunded, void, ev)
		), upd AS (
			UPDATE stripe_credit_notes n SET invoice_id = u.inv, unrefunded = u.unrefunded, void = u.void, event_id = u.ev
			FROM u WHERE u.stored AND n.account_id = $2 AND n.livemode = $3 AND n.credit_note_id = u.id
		)
		INSERT INTO stripe_credit_notes (tenant_id, account_id, livemode, credit_note_id, invoice_id, unrefunded, void, event_id)
		SELECT $1, $2, $3, u.id, u.inv, u.unrefunded, u.void, u.ev FROM u WHERE NOT u.stored`,
		a.tenant.ID, a.account, a.livemode, pq.Array(stored), pq.Array(ids), pq.Array(inv), pq.Array(unrefunded), pq.Array(void),
		pq.Array(evs)); err != nil {
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
