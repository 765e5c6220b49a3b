package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// CursorUpdate is the connection's sync position after a batch of events,
// written in the same transaction as their effects, so the cursor never
// passes an event that was not applied.
type CursorUpdate struct {
	EventID       string
	Created       int64
	BackfillAfter string
	BackfillSince int64
}

// ApplyOutcome counts what a batch did.
type ApplyOutcome struct {
	New     int // events not seen before
	Created int // conversions created
	Updated int // conversions changed
}

// ApplyEvents applies a batch (a page) of a connection's events in one
// transaction: the events are recorded by id together with their effects,
// so an event already recorded (by an earlier check or a webhook) changes
// nothing. When cursor is non-nil the connection's position moves in the
// same transaction. The work is set-based — a fixed number of statements
// per batch, not per event — and conflicts with a concurrent writer are
// retried.
func (s *Store) ApplyEvents(ctx context.Context, conn tracklane.StripeConnection, events []tracklane.StripeEvent, cursor *CursorUpdate) (ApplyOutcome, error) {
	var out ApplyOutcome
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		out = ApplyOutcome{}
		a, err := s.newApplier(ctx, tx, conn.TenantID, conn.AccountID, conn.Livemode)
		if err != nil {
			return err
		}
		fresh, err := a.recordEvents(events)
		if err != nil {
			return err
		}
		out.New = len(fresh)
		if len(fresh) > 0 {
			causes, err := a.recordFacts(fresh)
			if err != nil {
				return err
			}
			if err := a.evaluate(causes, ""); err != nil {
				return err
			}
		}
		out.Created, out.Updated = a.created, a.updated
		if cursor != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE stripe_connections SET cursor_event_id = $2, cursor_created = $3,
				backfill_after = $4, backfill_since = $5 WHERE id = $1`,
				conn.ID, cursor.EventID, cursor.Created, cursor.BackfillAfter, cursor.BackfillSince); err != nil {
				return fmt.Errorf("moving the cursor: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// retryConflicts runs fn in a transaction, again when it collided with a
// concurrent transaction (unique violation, deadlock, serialization).
func (s *Store) retryConflicts(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = s.inTx(ctx, fn)
		var pe *pq.Error
		if err == nil || !errors.As(err, &pe) {
			return err
		}
		switch pe.Code {
		case "23505", "40P01", "40001":
			time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
			continue
		}
		return err
	}
	return err
}

// ChargeInvoice returns the invoice a charge is known to belong to.
func (s *Store) ChargeInvoice(ctx context.Context, accountID string, livemode bool, chargeID string) (string, error) {
	var inv string
	err := s.db.QueryRowContext(ctx, `SELECT invoice_id FROM stripe_charges WHERE account_id = $1 AND livemode = $2 AND charge_id = $3`,
		accountID, livemode, chargeID).Scan(&inv)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking up charge: %w", err)
	}
	return inv, nil
}

// CustomerAttributed reports whether a Stripe customer is already
// attributed (then its payments need no email to be matched).
func (s *Store) CustomerAttributed(ctx context.Context, accountID string, livemode bool, customerID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM stripe_customer_attributions
		WHERE account_id = $1 AND livemode = $2 AND customer_id = $3)`, accountID, livemode, customerID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("looking up attribution: %w", err)
	}
	return ok, nil
}

// AttributeWaiting turns the tenant's payments that were waiting for an
// email link into conversions where a link now attributes them. email ""
// means every waiting payment of the tenant. It returns how many
// conversions were created. The query only narrows the candidates to
// payments with a link in the window's span; the rule decides.
func (s *Store) AttributeWaiting(ctx context.Context, tenantID, email string) (int, error) {
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	before, after := attribution.Window{Days: t.AttributionDays}.Span()
	created, _, err := s.evaluateListed(ctx, "email linked to a click", `SELECT p.tenant_id, p.account_id, p.livemode, p.source_id
		FROM stripe_payments p
		WHERE p.tenant_id = $1 AND NOT p.converted AND p.email <> '' AND ($2 = '' OR p.email = $2)
		AND EXISTS (SELECT 1 FROM customer_links l WHERE l.tenant_id = p.tenant_id AND l.external_cid = p.email
			AND l.click_created_at < p.paid_at + $4 * interval '1 microsecond'
			AND l.click_created_at >= p.paid_at - $3 * interval '1 microsecond')
		ORDER BY p.paid_at`, tenantID, email, before.Microseconds(), after.Microseconds())
	return created, err
}

// ApproveDue re-evaluates pending conversions whose hold period has ended,
// which approves them (with a history entry). It returns how many changed.
func (s *Store) ApproveDue(ctx context.Context) (int, error) {
	_, updated, err := s.evaluateListed(ctx, "", `SELECT c.tenant_id, c.stripe_account, c.livemode, c.source_id
		FROM conversions c JOIN tenants t ON t.id = c.tenant_id
		WHERE c.status = 'pending' AND c.created_at + t.hold_days * interval '1 day' <= $1
			AND (c.flags = '{}' OR c.manual_status <> '') AND c.origin = 'stripe'
		ORDER BY c.created_at LIMIT 5000`, s.Now())
	if err != nil {
		return updated, err
	}
	reported, err := s.approveDueReported(ctx)
	return updated + reported, err
}

// evaluateListed re-evaluates the payments a query lists as (tenant,
// account, livemode, source) rows, one transaction per connection, and
// returns how many conversions were created and updated.
func (s *Store) evaluateListed(ctx context.Context, why, query string, args ...any) (created, updated int, err error) {
	type conn struct {
		tenant, account string
		livemode        bool
	}
	sources := map[conn][]string{}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("listing payments to evaluate: %w", err)
	}
	for rows.Next() {
		var k conn
		var src string
		if err := rows.Scan(&k.tenant, &k.account, &k.livemode, &src); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("listing payments to evaluate: %w", err)
		}
		sources[k] = append(sources[k], src)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("listing payments to evaluate: %w", err)
	}
	for k, list := range sources {
		var a *applier
		err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
			var err error
			a, err = s.newApplier(ctx, tx, k.tenant, k.account, k.livemode)
			if err != nil {
				return err
			}
			causes := make(map[string]string, len(list))
			for _, src := range list {
				causes[src] = ""
			}
			return a.evaluate(causes, why)
		})
		if err != nil {
			return created, updated, err
		}
		// Counted once committed: a retried attempt starts a fresh applier.
		created, updated = created+a.created, updated+a.updated
	}
	return created, updated, nil
}

// SetConversionManualStatus records the merchant's decision ("approved",
// "rejected", or "" to undo) and re-evaluates the conversion.
func (s *Store) SetConversionManualStatus(ctx context.Context, tenantID, id, manual string) (tracklane.Conversion, error) {
	if manual != conversion.ManualApproved && manual != conversion.ManualRejected && manual != conversion.ManualNone {
		return tracklane.Conversion{}, apperr.Errorf(apperr.Invalid, "unknown decision %q", manual)
	}
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		var account, source string
		var livemode bool
		err := tx.QueryRowContext(ctx, `UPDATE conversions SET manual_status = $3 WHERE tenant_id = $1 AND id = $2
			RETURNING stripe_account, livemode, source_id`, tenantID, id, manual).Scan(&account, &livemode, &source)
		if err != nil {
			return notFound(err, "no conversion %q", id)
		}
		if account == "" { // reported by the site: no Stripe payment behind it
			_, err := s.reevaluateReported(ctx, tx, []string{id}, "")
			return err
		}
		a, err := s.newApplier(ctx, tx, tenantID, account, livemode)
		if err != nil {
			return err
		}
		return a.evaluate(map[string]string{source: ""}, "")
	})
	if err != nil {
		return tracklane.Conversion{}, err
	}
	return s.Conversion(ctx, tenantID, id)
}

// applier applies events of one connection inside one transaction.
type applier struct {
	ctx      context.Context
	tx       *sql.Tx
	tenant   tracklane.Tenant
	account  string
	livemode bool
	now      time.Time
	created  int
	updated  int
	touched  map[string]bool // conversions already counted as created or updated
}

func (s *Store) newApplier(ctx context.Context, tx *sql.Tx, tenantID, account string, livemode bool) (*applier, error) {
	t, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tenantID))
	if err != nil {
		return nil, notFound(err, "no tenant %q", tenantID)
	}
	return &applier{ctx: ctx, tx: tx, tenant: t, account: account, livemode: livemode, now: s.Now(), touched: map[string]bool{}}, nil
}

func (a *applier) exec(q string, args ...any) error {
	_, err := a.tx.ExecContext(a.ctx, q, args...)
	return err
}

// recordEvents records the events' ids and returns those not seen before,
// in their order.
func (a *applier) recordEvents(events []tracklane.StripeEvent) ([]tracklane.StripeEvent, error) {
	if len(events) == 0 {
		return nil, nil
	}
	ids, types, created, via := make([]string, len(events)), make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	for i, ev := range events {
		ids[i], types[i], created[i], via[i] = ev.ID, ev.Type, ev.Created.UTC().Format(time.RFC3339Nano), ev.Via
	}
	rows, err := a.tx.QueryContext(a.ctx, `INSERT INTO stripe_events (event_id, tenant_id, account_id, livemode, type, created, via)
		SELECT e.id, $1, $2, $3, e.type, e.created, e.via
		FROM unnest($4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS e(id, type, created, via)
		ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
		a.tenant.ID, a.account, a.livemode, pq.Array(ids), pq.Array(types), pq.Array(created), pq.Array(via))
	if err != nil {
		return nil, fmt.Errorf("recording events: %w", err)
	}
	defer rows.Close()
	isNew := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("recording events: %w", err)
		}
		isNew[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recording events: %w", err)
	}
	var out []tracklane.StripeEvent
	for _, ev := range events {
		if isNew[ev.ID] {
			delete(isNew, ev.ID) // the same id twice in a batch counts once
			out = append(out, ev)
		}
	}
	return out, nil
}

// The facts the events bring are merged in Go, by one rule per kind of
// object, starting from what is stored (read and locked first), then each
// event of the batch in order; the statements only store the outcome. So
// a batch's boundaries never change the facts recorded: a fact merges the
// same way whether the others came in its batch or an earlier one (only a
// payment's event_id, the event that recorded the row, is the last of the
// batch that first stated it). A row that did not exist when read is
// inserted: a concurrent writer's row makes the insert fail, and the
// transaction is retried, reading and merging that row too.

// paymentMerge is what is known of one payment.
type paymentMerge struct {
	tracklane.PaymentFact
	stored bool // the row exists: updated, not inserted
}

// merge adds a later statement of the payment: the charge it names is the
// latest one named (an invoice paid by a retried charge); its email,
// payment intent, click id and promotion codes, once known, stand; the
// rest is the first statement's.
func (m *paymentMerge) merge(p *tracklane.PaymentFact) {
	if p.ChargeID != "" {
		m.ChargeID = p.ChargeID
	}
	if m.Email == "" {
		m.Email = p.Email
	}
	if m.PaymentIntentID == "" {
		m.PaymentIntentID = p.PaymentIntentID
	}
	if m.ClickID == "" {
		m.ClickID = p.ClickID
	}
	if len(m.PromotionCodes) == 0 {
		m.PromotionCodes = p.PromotionCodes
	}
}

// chargeMerge is what is known of one charge.
type chargeMerge struct {
	tracklane.ChargeFact
	created        any
	refundEvent    string
	disputeEvent   string
	disputeCreated int64
	// refundedLatest is amount_refunded as the charge's latest payload
	// showed it (nil: none seen), at refundedLatestAt (unix): a refund
	// that fails is taken off it again, so the largest seen is not the
	// latest.
	refundedLatest   *int64
	refundedLatestAt int64
	own              bool // it is a payment of its own (an invoice-less charge): no invoice links to it
	stored           bool // the row exists: updated, not inserted
}

// storedFacts is what the store holds of the payments, charges, refunds
// and credit notes a batch speaks of, by source id, charge id, refund id
// and credit note id: where their merge starts.
type storedFacts struct {
	payments map[string]paymentMerge
	charges  map[string]chargeMerge
	refunds  map[string]refundMerge
	notes    map[string]noteMerge
}

// factBatch is a batch's facts merged per object, each with the last event
// of the batch that spoke of it.
type factBatch struct {
	payments     []*paymentMerge
	paymentEvent map[string]string
	charges      map[string]*chargeMerge
	chargeOrder  []string
	chargeEvent  map[string]string
	subs         map[string]*tracklane.SubscriptionFact
	subEvent     map[string]string
	hints        []hintRow
	moreFacts
}

// hintRow is one key of a hint, with its event.
type hintRow struct {
	key, origin, clickID, event string
	codes                       []string
}

// mergeFacts merges the facts of a batch's events into what is stored: a
// payment's statements by paymentMerge.merge, a charge's by mergeCharge,
// a refund's by refundMerge.merge, a credit note's by noteMerge.merge;
// the first statement of a cancellation stands. Which invoice a charge
// recorded without one paid is settled after, by factBatch.link.
func mergeFacts(known storedFacts, events []tracklane.StripeEvent) factBatch {
	b := factBatch{paymentEvent: map[string]string{}, charges: map[string]*chargeMerge{}, chargeEvent: map[string]string{},
		subs: map[string]*tracklane.SubscriptionFact{}, subEvent: map[string]string{}, moreFacts: newMoreFacts()}
	payments := map[string]*paymentMerge{}
	for _, ev := range events {
		if p := ev.Payment; p != nil && p.Amount > 0 {
			m, ok := payments[p.SourceID]
			switch {
			case ok:
				m.merge(p)
			default:
				m = &paymentMerge{PaymentFact: *p}
				if s, stored := known.payments[p.SourceID]; stored {
					m = &s
					m.merge(p)
				}
				payments[p.SourceID] = m
				b.payments = append(b.payments, m)
			}
			b.paymentEvent[p.SourceID] = ev.ID
		}
		if c := ev.Charge; c != nil {
			b.mergeCharge(known, ev, c)
		}
		for _, h := range ev.Hints {
			for _, k := range h.Keys {
				if k != "" {
					b.hints = append(b.hints, hintRow{key: k, origin: h.Origin, clickID: h.ClickID, event: ev.ID, codes: h.PromotionCodes})
				}
			}
		}
		if sub := ev.Subscription; sub != nil {
			if _, ok := b.subs[sub.SubscriptionID]; !ok {
				b.subs[sub.SubscriptionID] = sub
			}
			b.subEvent[sub.SubscriptionID] = ev.ID
		}
		b.mergeMore(known, ev)
	}
	return b
}

// mergeCharge adds what an event says of a charge: its invoice, customer
// and payment intent are the latest named, its amount and capture the
// largest, its creation the first known; its refund only grows, while the
// latest payload's amount_refunded follows the later payload of the charge
// itself (one that says what it captured), at the same second the larger;
// its dispute follows the later event, and at the same second a closing
// status (conversion.DisputeCloses) beats an open one.
func (b *factBatch) mergeCharge(known storedFacts, ev tracklane.StripeEvent, c *tracklane.ChargeFact) {
	m, ok := b.charges[c.ChargeID]
	if !ok {
		m = &chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: c.ChargeID}}
		if s, stored := known.charges[c.ChargeID]; stored {
			m = &s
		}
		b.charges[c.ChargeID] = m
		b.chargeOrder = append(b.chargeOrder, c.ChargeID)
	}
	if c.InvoiceID != "" {
		m.InvoiceID = c.InvoiceID
	}
	if c.CustomerID != "" {
		m.CustomerID = c.CustomerID
	}
	if c.Amount > m.Amount {
		m.Amount = c.Amount
	}
	if m.created == nil && !c.Created.IsZero() {
		m.created = c.Created
	}
	if c.AmountRefunded > m.AmountRefunded {
		m.AmountRefunded, m.refundEvent = c.AmountRefunded, ev.ID
	}
	if c.PaymentIntentID != "" {
		m.PaymentIntentID = c.PaymentIntentID
	}
	if c.AmountCaptured != nil {
		if m.AmountCaptured == nil || *c.AmountCaptured > *m.AmountCaptured {
			v := *c.AmountCaptured
			m.AmountCaptured = &v
		}
		if at := ev.Created.Unix(); m.refundedLatest == nil || at > m.refundedLatestAt ||
			(at == m.refundedLatestAt && c.AmountRefunded > *m.refundedLatest) {
			v := c.AmountRefunded
			m.refundedLatest, m.refundedLatestAt = &v, at
		}
	}
	if p := ev.Payment; p != nil && p.SourceID == c.ChargeID {
		m.own = true
	}
	if c.DisputeID != "" {
		at := ev.Created.Unix()
		if m.DisputeID == "" || at > m.disputeCreated || (at == m.disputeCreated && conversion.DisputeCloses(c.DisputeStatus)) {
			m.DisputeID, m.DisputeStatus, m.disputeEvent = c.DisputeID, c.DisputeStatus, ev.ID
		}
		if at > m.disputeCreated {
			m.disputeCreated = at
		}
	}
	b.chargeEvent[c.ChargeID] = ev.ID
}

// recordFacts stores the facts of new events (payments, charges,
// cancellations) and returns the payments they touch, each with the last
// event of the batch that touched it.
func (a *applier) recordFacts(events []tracklane.StripeEvent) (map[string]string, error) {
	known, err := a.storedFacts(events)
	if err != nil {
		return nil, err
	}
	b := mergeFacts(known, events)
	links, err := a.storedLinks(b)
	if err != nil {
		return nil, err
	}
	b.link(links)
	causes := map[string]string{}
	for _, p := range b.payments {
		causes[p.SourceID] = b.paymentEvent[p.SourceID]
	}
	if err := a.recordPayments(b); err != nil {
		return nil, err
	}
	if err := a.recordCharges(b, causes); err != nil {
		return nil, err
	}
	if err := a.recordCancellations(b, causes); err != nil {
		return nil, err
	}
	if err := a.recordHints(b, causes); err != nil {
		return nil, err
	}
	if err := a.recordMoreFacts(b.moreFacts, causes); err != nil {
		return nil, err
	}
	return causes, nil
}

// storedFacts reads and locks the stored payments, charges, refunds and
// credit notes the events speak of.
func (a *applier) storedFacts(events []tracklane.StripeEvent) (storedFacts, error) {
	known := storedFacts{payments: map[string]paymentMerge{}, charges: map[string]chargeMerge{}}
	var sources, charges []string
	for _, ev := range events {
		if p := ev.Payment; p != nil && p.Amount > 0 {
			sources = append(sources, p.SourceID)
		}
		if c := ev.Charge; c != nil {
			charges = append(charges, c.ChargeID)
		}
	}
	if err := a.storedMoreFacts(events, &known); err != nil {
		return known, err
	}
	if len(sources) > 0 {
		err := eachRow(a.ctx, a.tx, func(r scanner) error {
			m := paymentMerge{stored: true}
			if err := r.Scan(&m.SourceID, &m.CustomerID, &m.Email, &m.Amount, &m.Currency, &m.PaidAt, &m.InvoiceID, &m.ChargeID,
				&m.SubscriptionID, &m.PaymentIntentID, &m.ClickID, pq.Array(&m.PromotionCodes)); err != nil {
				return err
			}
			known.payments[m.SourceID] = m
			return nil
		}, `SELECT source_id, customer_id, email, amount, currency, paid_at, invoice_id, charge_id, subscription_id,
				payment_intent_id, click_id, promotion_codes
			FROM stripe_payments WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)
			ORDER BY source_id FOR UPDATE`, a.account, a.livemode, pq.Array(sources))
		if err != nil {
			return known, fmt.Errorf("reading stored payments: %w", err)
		}
	}
	if len(charges) > 0 {
		err := eachRow(a.ctx, a.tx, func(r scanner) error {
			m, err := scanChargeMerge(r)
			known.charges[m.ChargeID] = m
			return err
		}, `SELECT `+chargeMergeColumns+` FROM stripe_charges c
			WHERE c.account_id = $1 AND c.livemode = $2 AND c.charge_id = ANY($3)
			ORDER BY c.charge_id FOR UPDATE OF c`, a.account, a.livemode, pq.Array(charges))
		if err != nil {
			return known, fmt.Errorf("reading stored charges: %w", err)
		}
	}
	return known, nil
}

// chargeMergeColumns are what scanChargeMerge reads of a stored charge
// (stripe_charges c).
const chargeMergeColumns = `c.charge_id, c.invoice_id, c.customer_id, c.amount, c.created, c.amount_refunded, c.refund_event_id,
	c.dispute_id, c.dispute_status, c.dispute_event_id, c.dispute_event_created,
	c.payment_intent_id, c.amount_captured, c.refunded_latest, coalesce(c.refunded_latest_at, 0),
	EXISTS (SELECT 1 FROM stripe_payments p WHERE p.account_id = c.account_id AND p.livemode = c.livemode AND p.source_id = c.charge_id)`

// scanChargeMerge reads a stored charge (chargeMergeColumns).
func scanChargeMerge(r scanner) (chargeMerge, error) {
	m := chargeMerge{stored: true}
	var created sql.NullTime
	var captured, latest sql.NullInt64
	if err := r.Scan(&m.ChargeID, &m.InvoiceID, &m.CustomerID, &m.Amount, &created, &m.AmountRefunded, &m.refundEvent,
		&m.DisputeID, &m.DisputeStatus, &m.disputeEvent, &m.disputeCreated,
		&m.PaymentIntentID, &captured, &latest, &m.refundedLatestAt, &m.own); err != nil {
		return m, err
	}
	if created.Valid {
		m.created = created.Time
	}
	if captured.Valid {
		m.AmountCaptured = &captured.Int64
	}
	if latest.Valid {
		m.refundedLatest = &latest.Int64
	}
	return m, nil
}

// recordPayments stores the batch's payments as merged: an existing row
// is updated (it keeps the event that first recorded it), a new one
// inserted.
func (a *applier) recordPayments(b factBatch) error {
	n := len(b.payments)
	if n == 0 {
		return nil
	}
	src, cus, email, amount, cur, paid, inv, ch, sub, evs := make([]string, n), make([]string, n), make([]string, n), make([]int64, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	pi, cid, codes, stored := make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	for i, p := range b.payments {
		src[i], cus[i], email[i], amount[i], cur[i] = p.SourceID, p.CustomerID, p.Email, p.Amount, p.Currency
		paid[i], inv[i], ch[i], sub[i], evs[i] = p.PaidAt.UTC().Format(time.RFC3339Nano), p.InvoiceID, p.ChargeID, p.SubscriptionID, b.paymentEvent[p.SourceID]
		pi[i], cid[i], codes[i], stored[i] = p.PaymentIntentID, p.ClickID, arrayLiteral(p.PromotionCodes), p.stored
	}
	if err := a.exec(`WITH u AS (
			SELECT * FROM unnest($4::bool[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::timestamptz[],
				$11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
				AS u(stored, src, cus, email, amount, cur, paid, inv, ch, sub, ev, pi, cid, codes)
		), upd AS (
			UPDATE stripe_payments p SET customer_id = u.cus, email = u.email, amount = u.amount, currency = u.cur, paid_at = u.paid,
				invoice_id = u.inv, charge_id = u.ch, subscription_id = u.sub, payment_intent_id = u.pi, click_id = u.cid,
				promotion_codes = u.codes::text[]
			FROM u WHERE u.stored AND p.account_id = $2 AND p.livemode = $3 AND p.source_id = u.src
		)
		INSERT INTO stripe_payments (tenant_id, account_id, livemode, source_id, customer_id, email,
			amount, currency, paid_at, invoice_id, charge_id, subscription_id, event_id, payment_intent_id, click_id, promotion_codes)
		SELECT $1, $2, $3, u.src, u.cus, u.email, u.amount, u.cur, u.paid, u.inv, u.ch, u.sub, u.ev, u.pi, u.cid, u.codes::text[]
		FROM u WHERE NOT u.stored`,
		a.tenant.ID, a.account, a.livemode, pq.Array(stored), pq.Array(src), pq.Array(cus), pq.Array(email), pq.Array(amount), pq.Array(cur),
		pq.Array(paid), pq.Array(inv), pq.Array(ch), pq.Array(sub), pq.Array(evs), pq.Array(pi), pq.Array(cid), pq.Array(codes)); err != nil {
		return fmt.Errorf("recording payments: %w", err)
	}
	return nil
}

// recordCharges stores the batch's charges as merged (updating an existing
// row, inserting a new one) and adds the payments they belong to to
// causes.
func (a *applier) recordCharges(b factBatch, causes map[string]string) error {
	n := len(b.chargeOrder)
	if n == 0 {
		return nil
	}
	ids, inv, cus, amount, created, refunded, refundEv := make([]string, n), make([]string, n), make([]string, n), make([]int64, n),
		make([]*string, n), make([]int64, n), make([]string, n)
	dispute, dstatus, dEv, dAt, stored := make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]bool, n)
	pi, captured, latest, latestAt := make([]string, n), make([]*int64, n), make([]*int64, n), make([]*int64, n)
	for i, id := range b.chargeOrder {
		m := b.charges[id]
		ids[i], inv[i], cus[i], amount[i], refunded[i], refundEv[i] = id, m.InvoiceID, m.CustomerID, m.Amount, m.AmountRefunded, m.refundEvent
		if t, ok := m.created.(time.Time); ok {
			s := t.UTC().Format(time.RFC3339Nano)
			created[i] = &s
		}
		dispute[i], dstatus[i], dEv[i], dAt[i], stored[i] = m.DisputeID, m.DisputeStatus, m.disputeEvent, m.disputeCreated, m.stored
		pi[i], captured[i], latest[i] = m.PaymentIntentID, m.AmountCaptured, m.refundedLatest
		if m.refundedLatest != nil {
			latestAt[i] = &m.refundedLatestAt
		}
	}
	if err := a.exec(`WITH u AS (
			SELECT * FROM unnest($4::bool[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::timestamptz[], $10::bigint[],
				$11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[], $17::bigint[], $18::bigint[], $19::bigint[])
				AS u(stored, id, inv, cus, amount, created, refunded, refund_ev, dispute, dstatus, dev, dat, pi, captured, latest, latest_at)
		), upd AS (
			UPDATE stripe_charges c SET invoice_id = u.inv, customer_id = u.cus, amount = u.amount, created = u.created,
				amount_refunded = u.refunded, refund_event_id = u.refund_ev, dispute_id = u.dispute, dispute_status = u.dstatus,
				dispute_event_id = u.dev, dispute_event_created = u.dat, payment_intent_id = u.pi, amount_captured = u.captured,
				refunded_latest = u.latest, refunded_latest_at = u.latest_at
			FROM u WHERE u.stored AND c.account_id = $2 AND c.livemode = $3 AND c.charge_id = u.id
		)
		INSERT INTO stripe_charges (tenant_id, account_id, livemode, charge_id, invoice_id, customer_id,
			amount, created, amount_refunded, refund_event_id, dispute_id, dispute_status, dispute_event_id, dispute_event_created,
			payment_intent_id, amount_captured, refunded_latest, refunded_latest_at)
		SELECT $1, $2, $3, u.id, u.inv, u.cus, u.amount, u.created, u.refunded, u.refund_ev, u.dispute, u.dstatus, u.dev, u.dat,
			u.pi, u.captured, u.latest, u.latest_at
		FROM u WHERE NOT u.stored`,
		a.tenant.ID, a.account, a.livemode, pq.Array(stored), pq.Array(ids), pq.Array(inv), pq.Array(cus), pq.Array(amount), pq.Array(created),
		pq.Array(refunded), pq.Array(refundEv), pq.Array(dispute), pq.Array(dstatus), pq.Array(dEv), pq.Array(dAt),
		pq.Array(pi), pq.Array(captured), pq.Array(latest), pq.Array(latestAt)); err != nil {
		return fmt.Errorf("recording charges: %w", err)
	}
	// A charge's payment: itself (an invoice-less charge), the invoice it
	// paid, or a payment that names it.
	rows, err := a.tx.QueryContext(a.ctx, `SELECT source_id, source_id FROM stripe_payments
			WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)
		UNION
		SELECT sc.charge_id, p.source_id FROM stripe_charges sc
			JOIN stripe_payments p ON p.account_id = $1 AND p.livemode = $2 AND p.source_id = sc.invoice_id
			WHERE sc.account_id = $1 AND sc.livemode = $2 AND sc.charge_id = ANY($3) AND sc.invoice_id <> ''
		UNION
		SELECT charge_id, source_id FROM stripe_payments
			WHERE account_id = $1 AND livemode = $2 AND charge_id = ANY($3) AND charge_id <> ''`,
		a.account, a.livemode, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("finding payments of charges: %w", err)
	}
	if err := scanPairs(rows, func(charge, source string) { causes[source] = b.chargeEvent[charge] }); err != nil {
		return fmt.Errorf("finding payments of charges: %w", err)
	}
	return nil
}

// recordCancellations stores the batch's subscription cancellations (the
// first one stands) and adds the subscriptions' payments to causes.
func (a *applier) recordCancellations(b factBatch, causes map[string]string) error {
	if len(b.subs) == 0 {
		return nil
	}
	var ids, at, evs []string
	for id, sub := range b.subs {
		ids, at, evs = append(ids, id), append(at, sub.CanceledAt.UTC().Format(time.RFC3339Nano)), append(evs, b.subEvent[id])
	}
	if err := a.exec(`INSERT INTO stripe_subscriptions (tenant_id, account_id, livemode, subscription_id, canceled_at, event_id)
		SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::timestamptz[], $6::text[]) AS u
		ON CONFLICT (account_id, livemode, subscription_id) DO NOTHING`,
		a.tenant.ID, a.account, a.livemode, pq.Array(ids), pq.Array(at), pq.Array(evs)); err != nil {
		return fmt.Errorf("recording cancellations: %w", err)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT subscription_id, source_id FROM stripe_payments
		WHERE account_id = $1 AND livemode = $2 AND subscription_id = ANY($3)`, a.account, a.livemode, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("finding payments of subscriptions: %w", err)
	}
	if err := scanPairs(rows, func(sub, source string) { causes[source] = b.subEvent[sub] }); err != nil {
		return fmt.Errorf("finding payments of subscriptions: %w", err)
	}
	return nil
}

// recordHints stores the batch's hints (the first word of an object
// stands: a session is completed once) and adds the payments they name to
// causes.
func (a *applier) recordHints(b factBatch, causes map[string]string) error {
	n := len(b.hints)
	if n == 0 {
		return nil
	}
	keys, origins, cids, codes, evs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	event := map[string]string{}
	for i, h := range b.hints {
		keys[i], origins[i], cids[i], codes[i], evs[i] = h.key, h.origin, h.clickID, arrayLiteral(h.codes), h.event
		event[h.key] = h.event
	}
	if err := a.exec(`INSERT INTO stripe_attribution_hints (tenant_id, account_id, livemode, key, origin, click_id, promotion_codes, event_id)
		SELECT $1, $2, $3, u.key, u.origin, u.cid, u.codes::text[], u.ev
		FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(key, origin, cid, codes, ev)
		ON CONFLICT (account_id, livemode, key, origin) DO NOTHING`,
		a.tenant.ID, a.account, a.livemode, pq.Array(keys), pq.Array(origins), pq.Array(cids), pq.Array(codes), pq.Array(evs)); err != nil {
		return fmt.Errorf("recording attribution hints: %w", err)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT k.key, p.source_id FROM unnest($3::text[]) AS k(key)
		JOIN stripe_payments p ON p.account_id = $1 AND p.livemode = $2
			AND k.key IN (p.customer_id, p.subscription_id, p.payment_intent_id, p.source_id)`,
		a.account, a.livemode, pq.Array(keys))
	if err != nil {
		return fmt.Errorf("finding payments of hints: %w", err)
	}
	if err := scanPairs(rows, func(key, source string) { causes[source] = event[key] }); err != nil {
		return fmt.Errorf("finding payments of hints: %w", err)
	}
	return nil
}

// arrayLiteral writes a list as a PostgreSQL text array literal, so that
// a list of lists can travel as one text[] parameter.
func arrayLiteral(xs []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// scanPairs reads two-column text rows.
func scanPairs(rows *sql.Rows, fn func(a, b string)) error {
	defer rows.Close()
	for rows.Next() {
		var x, y string
		if err := rows.Scan(&x, &y); err != nil {
			return err
		}
		fn(x, y)
	}
	return rows.Err()
}
