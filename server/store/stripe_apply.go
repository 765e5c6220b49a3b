package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
)

// StripeEvent is one Stripe event as the sync engine understood it: its
// identity and the facts it brings. Exactly the non-nil facts are recorded.
type StripeEvent struct {
	ID       string
	Type     string
	Created  time.Time
	Livemode bool
	Via      string // "check" or "webhook", for the record

	Payment      *PaymentFact      // invoice.paid, charge.succeeded without invoice
	Charge       *ChargeFact       // charge.*: what is known of the charge
	Subscription *SubscriptionFact // customer.subscription.deleted
}

// PaymentFact is a paid invoice or an invoice-less charge.
type PaymentFact struct {
	SourceID       string // invoice id, or the charge id of an invoice-less charge
	CustomerID     string
	Email          string // normalised; "" when unknown
	Amount         int64  // excluding tax
	Currency       string
	PaidAt         time.Time
	InvoiceID      string
	ChargeID       string
	SubscriptionID string
}

// ChargeFact is what an event says about a charge: which invoice it paid,
// how much of it is refunded (cumulative), and its dispute.
type ChargeFact struct {
	ChargeID       string
	InvoiceID      string // "" when unknown
	CustomerID     string
	Amount         int64
	Created        time.Time
	AmountRefunded int64  // only grows; the largest seen wins
	DisputeID      string // set by dispute events
	DisputeStatus  string // Stripe's dispute status
}

// SubscriptionFact is a subscription's cancellation.
type SubscriptionFact struct {
	SubscriptionID string
	CanceledAt     time.Time
}

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

// ApplyEvents applies a batch of a connection's events in one transaction:
// each event is recorded by id together with its effects, so an event
// already recorded (by an earlier check or a webhook) changes nothing. When
// cursor is non-nil the connection's position moves in the same
// transaction. Conflicts with a concurrent writer are retried.
func (s *Store) ApplyEvents(ctx context.Context, conn StripeConnection, events []StripeEvent, cursor *CursorUpdate) (ApplyOutcome, error) {
	var out ApplyOutcome
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		out = ApplyOutcome{}
		a, err := s.newApplier(ctx, tx, conn.TenantID, conn.AccountID, conn.Livemode)
		if err != nil {
			return err
		}
		for _, ev := range events {
			res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (event_id, tenant_id, account_id, livemode, type, created, via)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
				ev.ID, conn.TenantID, conn.AccountID, ev.Livemode, ev.Type, ev.Created, ev.Via)
			if err != nil {
				return fmt.Errorf("recording event %s: %w", ev.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // applied before: once, ever
			}
			out.New++
			if err := a.apply(ev); err != nil {
				return fmt.Errorf("applying event %s (%s): %w", ev.ID, ev.Type, err)
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
// conversions were created.
func (s *Store) AttributeWaiting(ctx context.Context, tenantID, email string) (int, error) {
	type key struct {
		account  string
		livemode bool
		source   string
	}
	var keys []key
	rows, err := s.db.QueryContext(ctx, `SELECT p.account_id, p.livemode, p.source_id FROM stripe_payments p
		JOIN tenants t ON t.id = p.tenant_id
		WHERE p.tenant_id = $1 AND NOT p.converted AND p.email <> '' AND ($2 = '' OR p.email = $2)
		AND EXISTS (SELECT 1 FROM customer_links l WHERE l.tenant_id = p.tenant_id AND l.external_cid = p.email
			AND l.click_created_at < p.paid_at + interval '1 second' AND l.click_created_at >= p.paid_at - t.attribution_days * interval '1 day')
		ORDER BY p.paid_at`, tenantID, email)
	if err != nil {
		return 0, fmt.Errorf("finding waiting payments: %w", err)
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.account, &k.livemode, &k.source); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scanning waiting payment: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("finding waiting payments: %w", err)
	}
	created := 0
	for _, k := range keys {
		err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
			a, err := s.newApplier(ctx, tx, tenantID, k.account, k.livemode)
			if err != nil {
				return err
			}
			if err := a.evaluateSource(k.source, "", "email linked to a click"); err != nil {
				return err
			}
			created += a.created
			return nil
		})
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// ApproveDue re-evaluates pending conversions whose hold period has ended,
// which approves them (with a history entry). It returns how many changed.
func (s *Store) ApproveDue(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.tenant_id, c.stripe_account, c.livemode, c.source_id FROM conversions c
		JOIN tenants t ON t.id = c.tenant_id
		WHERE c.status = 'pending' AND c.created_at + t.hold_days * interval '1 day' <= $1
		ORDER BY c.created_at LIMIT 1000`, s.Now())
	if err != nil {
		return 0, fmt.Errorf("finding due conversions: %w", err)
	}
	type key struct {
		tenant, account string
		livemode        bool
		source          string
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.tenant, &k.account, &k.livemode, &k.source); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scanning due conversion: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	changed := 0
	for _, k := range keys {
		err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
			a, err := s.newApplier(ctx, tx, k.tenant, k.account, k.livemode)
			if err != nil {
				return err
			}
			if err := a.evaluateSource(k.source, "", ""); err != nil {
				return err
			}
			changed += a.updated
			return nil
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// SetConversionManualStatus records the merchant's decision ("approved",
// "rejected", or "" to undo) and re-evaluates the conversion.
func (s *Store) SetConversionManualStatus(ctx context.Context, tenantID, id, manual string) (Conversion, error) {
	if manual != conversion.ManualApproved && manual != conversion.ManualRejected && manual != conversion.ManualNone {
		return Conversion{}, apperr.Errorf(apperr.Invalid, "unknown decision %q", manual)
	}
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		var account, source string
		var livemode bool
		err := tx.QueryRowContext(ctx, `UPDATE conversions SET manual_status = $3 WHERE tenant_id = $1 AND id = $2
			RETURNING stripe_account, livemode, source_id`, tenantID, id, manual).Scan(&account, &livemode, &source)
		if err != nil {
			return notFound(err, "no conversion %q", id)
		}
		a, err := s.newApplier(ctx, tx, tenantID, account, livemode)
		if err != nil {
			return err
		}
		return a.evaluateSource(source, "", "")
	})
	if err != nil {
		return Conversion{}, err
	}
	return s.Conversion(ctx, tenantID, id)
}

// applier applies events of one connection inside one transaction.
type applier struct {
	ctx      context.Context
	tx       *sql.Tx
	tenant   Tenant
	account  string
	livemode bool
	now      time.Time
	created  int
	updated  int
	touched  map[string]bool // conversions already counted as updated
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

// apply records an event's facts and re-evaluates the payments they touch.
func (a *applier) apply(ev StripeEvent) error {
	var sources []string
	if p := ev.Payment; p != nil && p.Amount > 0 {
		if err := a.exec(`INSERT INTO stripe_payments (tenant_id, account_id, livemode, source_id, customer_id, email,
			amount, currency, paid_at, invoice_id, charge_id, subscription_id, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (account_id, livemode, source_id) DO UPDATE SET
				charge_id = CASE WHEN excluded.charge_id <> '' THEN excluded.charge_id ELSE stripe_payments.charge_id END,
				email = CASE WHEN stripe_payments.email = '' THEN excluded.email ELSE stripe_payments.email END`,
			a.tenant.ID, a.account, a.livemode, p.SourceID, p.CustomerID, p.Email, p.Amount, p.Currency, p.PaidAt,
			p.InvoiceID, p.ChargeID, p.SubscriptionID, ev.ID); err != nil {
			return fmt.Errorf("recording payment: %w", err)
		}
		sources = append(sources, p.SourceID)
	}
	if c := ev.Charge; c != nil {
		var created any
		if !c.Created.IsZero() {
			created = c.Created
		}
		var disputeCreated int64
		if c.DisputeID != "" {
			disputeCreated = ev.Created.Unix()
		}
		// Refunds only grow; a dispute's later event wins, and at the same
		// second a closing status beats an open one.
		if err := a.exec(`INSERT INTO stripe_charges AS c (tenant_id, account_id, livemode, charge_id, invoice_id, customer_id,
			amount, created, amount_refunded, refund_event_id, dispute_id, dispute_status, dispute_event_id, dispute_event_created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, CASE WHEN $9::bigint > 0 THEN $10::text ELSE '' END, $11::text, $12,
				CASE WHEN $11::text <> '' THEN $10::text ELSE '' END, $13)
			ON CONFLICT (account_id, livemode, charge_id) DO UPDATE SET
				invoice_id = CASE WHEN excluded.invoice_id <> '' THEN excluded.invoice_id ELSE c.invoice_id END,
				customer_id = CASE WHEN excluded.customer_id <> '' THEN excluded.customer_id ELSE c.customer_id END,
				amount = GREATEST(c.amount, excluded.amount),
				created = coalesce(c.created, excluded.created),
				refund_event_id = CASE WHEN excluded.amount_refunded > c.amount_refunded THEN excluded.refund_event_id ELSE c.refund_event_id END,
				amount_refunded = GREATEST(c.amount_refunded, excluded.amount_refunded),
				dispute_id = CASE WHEN excluded.dispute_id <> '' AND (excluded.dispute_event_created > c.dispute_event_created
					OR (excluded.dispute_event_created = c.dispute_event_created AND excluded.dispute_status IN ('won', 'lost', 'warning_closed')))
					THEN excluded.dispute_id ELSE c.dispute_id END,
				dispute_status = CASE WHEN excluded.dispute_id <> '' AND (excluded.dispute_event_created > c.dispute_event_created
					OR (excluded.dispute_event_created = c.dispute_event_created AND excluded.dispute_status IN ('won', 'lost', 'warning_closed')))
					THEN excluded.dispute_status ELSE c.dispute_status END,
				dispute_event_id = CASE WHEN excluded.dispute_id <> '' AND (excluded.dispute_event_created > c.dispute_event_created
					OR (excluded.dispute_event_created = c.dispute_event_created AND excluded.dispute_status IN ('won', 'lost', 'warning_closed')))
					THEN excluded.dispute_event_id ELSE c.dispute_event_id END,
				dispute_event_created = GREATEST(c.dispute_event_created, excluded.dispute_event_created)`,
			a.tenant.ID, a.account, a.livemode, c.ChargeID, c.InvoiceID, c.CustomerID, c.Amount, created,
			c.AmountRefunded, ev.ID, c.DisputeID, c.DisputeStatus, disputeCreated); err != nil {
			return fmt.Errorf("recording charge: %w", err)
		}
		more, err := a.sourcesOfCharge(c.ChargeID)
		if err != nil {
			return err
		}
		sources = append(sources, more...)
	}
	if sub := ev.Subscription; sub != nil {
		if err := a.exec(`INSERT INTO stripe_subscriptions (tenant_id, account_id, livemode, subscription_id, canceled_at, event_id)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, livemode, subscription_id) DO NOTHING`,
			a.tenant.ID, a.account, a.livemode, sub.SubscriptionID, sub.CanceledAt, ev.ID); err != nil {
			return fmt.Errorf("recording cancellation: %w", err)
		}
		more, err := a.strings(`SELECT source_id FROM stripe_payments WHERE account_id = $1 AND livemode = $2 AND subscription_id = $3`,
			a.account, a.livemode, sub.SubscriptionID)
		if err != nil {
			return err
		}
		sources = append(sources, more...)
	}
	seen := map[string]bool{}
	for _, src := range sources {
		if seen[src] {
			continue
		}
		seen[src] = true
		if err := a.evaluateSource(src, ev.ID, ""); err != nil {
			return err
		}
	}
	return nil
}

// sourcesOfCharge finds the payments a charge belongs to: as their own
// charge, or through the invoice the charge paid.
func (a *applier) sourcesOfCharge(chargeID string) ([]string, error) {
	return a.strings(`SELECT p.source_id FROM stripe_payments p
		WHERE p.account_id = $1 AND p.livemode = $2 AND (p.charge_id = $3 OR p.source_id = $3 OR p.invoice_id IN
			(SELECT invoice_id FROM stripe_charges WHERE account_id = $1 AND livemode = $2 AND charge_id = $3 AND invoice_id <> ''))`,
		a.account, a.livemode, chargeID)
}

func (a *applier) strings(q string, args ...any) ([]string, error) {
	rows, err := a.tx.QueryContext(a.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("querying: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("scanning: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

type paymentRow struct {
	PaymentFact
	converted bool
}

type attribution struct {
	affiliateID, clickID, externalCID, originID, firstSource string
	firstPaidAt                                              time.Time
}

// evaluateSource brings the conversion of one payment up to date: creates
// it when the payment is (now) attributable, or recomputes its state from
// the facts and records any change in its history. eventID names the
// Stripe event that caused it; reasonPrefix explains a creation not caused
// by an event.
func (a *applier) evaluateSource(sourceID, eventID, why string) error {
	var p paymentRow
	err := a.tx.QueryRowContext(a.ctx, `SELECT source_id, customer_id, email, amount, currency, paid_at, invoice_id, charge_id,
		subscription_id, converted FROM stripe_payments WHERE account_id = $1 AND livemode = $2 AND source_id = $3`,
		a.account, a.livemode, sourceID).Scan(&p.SourceID, &p.CustomerID, &p.Email, &p.Amount, &p.Currency, &p.PaidAt,
		&p.InvoiceID, &p.ChargeID, &p.SubscriptionID, &p.converted)
	if err == sql.ErrNoRows {
		return nil // the payment is not known yet: its facts wait for it
	}
	if err != nil {
		return fmt.Errorf("reading payment: %w", err)
	}

	var conv Conversion
	var rule conversion.Rule
	var ruleType string
	err = a.tx.QueryRowContext(a.ctx, `SELECT id, affiliate_id, external_cid, status, amount, commission, manual_status,
		rule_type, rule_bp, rule_fixed, rule_currency
		FROM conversions WHERE stripe_account = $1 AND livemode = $2 AND source_id = $3 FOR UPDATE`,
		a.account, a.livemode, sourceID).Scan(&conv.ID, &conv.AffiliateID, &conv.ExternalCID, &conv.Status, &conv.Amount,
		&conv.Commission, &conv.ManualStatus, &ruleType, &rule.BasisPoints, &rule.Fixed, &rule.Currency)
	rule.Type = conversion.RuleType(ruleType)
	switch {
	case err == sql.ErrNoRows:
		return a.create(p, eventID, why)
	case err != nil:
		return fmt.Errorf("reading conversion: %w", err)
	}

	facts, err := a.facts(p, conv.AffiliateID, conv.ExternalCID, conv.ManualStatus)
	if err != nil {
		return err
	}
	st := conversion.Evaluate(facts, rule, a.now)
	if st.Status == conv.Status && st.Amount == conv.Amount && st.Commission == conv.Commission {
		return nil
	}
	if err := a.exec(`UPDATE conversions SET status = $2, amount = $3, commission = $4, updated_at = $5 WHERE id = $1`,
		conv.ID, string(st.Status), st.Amount, st.Commission, a.now); err != nil {
		return fmt.Errorf("updating conversion: %w", err)
	}
	if !a.touched[conv.ID] {
		a.updated++
		a.touched[conv.ID] = true
	}
	return a.history(conv.ID, st, eventID, st.Reason)
}

// create makes the conversion of an attributable payment.
func (a *applier) create(p paymentRow, eventID, why string) (err error) {
	attr, ok, fresh, err := a.attribute(p)
	if err != nil {
		return err
	}
	if fresh {
		// The customer is attributed from this payment on: its other
		// payments that arrived earlier (events come in any order) follow.
		defer func() {
			if err == nil {
				err = a.evaluateCustomer(p.CustomerID, p.SourceID, eventID)
			}
		}()
	}
	if !ok {
		return nil
	}
	var affEmail string
	var aff struct {
		ctype     sql.NullString
		bp, fixed int64
		currency  string
	}
	err = a.tx.QueryRowContext(a.ctx, `SELECT email, commission_type, commission_bp, commission_fixed, commission_currency
		FROM affiliates WHERE tenant_id = $1 AND id = $2`, a.tenant.ID, attr.affiliateID).
		Scan(&affEmail, &aff.ctype, &aff.bp, &aff.fixed, &aff.currency)
	if err == sql.ErrNoRows {
		return nil // the affiliate was deleted: nobody to credit
	}
	if err != nil {
		return fmt.Errorf("reading affiliate: %w", err)
	}
	rule := a.tenant.Commission
	if aff.ctype.Valid {
		rule = conversion.Rule{Type: conversion.RuleType(aff.ctype.String), BasisPoints: aff.bp, Fixed: aff.fixed, Currency: aff.currency}
	}
	external := p.Email
	if external == "" {
		external = attr.externalCID
	}
	facts, err := a.facts(p, attr.affiliateID, external, "")
	if err != nil {
		return err
	}
	facts.SelfReferral = external != "" && external == affEmail
	st := conversion.Evaluate(facts, rule, a.now)
	id := ident.New("cv_")
	if err := a.exec(`INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
		stripe_account, livemode, source_id, stripe_customer, stripe_invoice, stripe_charge, stripe_subscription,
		currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		id, a.tenant.ID, attr.affiliateID, attr.clickID, external, attr.originID,
		a.account, a.livemode, p.SourceID, p.CustomerID, p.InvoiceID, a.chargeOf(p), p.SubscriptionID,
		p.Currency, p.Amount, st.Amount, st.Commission, string(rule.Type), rule.BasisPoints, rule.Fixed, rule.Currency,
		string(st.Status), p.PaidAt, a.now); err != nil {
		return fmt.Errorf("inserting conversion: %w", err)
	}
	if err := a.exec(`UPDATE stripe_payments SET converted = true WHERE account_id = $1 AND livemode = $2 AND source_id = $3`,
		a.account, a.livemode, p.SourceID); err != nil {
		return fmt.Errorf("marking payment converted: %w", err)
	}
	a.created++
	a.touched[id] = true
	reason := "conversion created: " + st.Reason
	if why != "" {
		reason = "conversion created (" + why + "): " + st.Reason
	}
	return a.history(id, st, eventID, reason)
}

// chargeOf is the payment's charge: its own, or the one known to have paid
// its invoice.
func (a *applier) chargeOf(p paymentRow) string {
	if p.ChargeID != "" || p.InvoiceID == "" {
		return p.ChargeID
	}
	ids, err := a.strings(`SELECT charge_id FROM stripe_charges WHERE account_id = $1 AND livemode = $2 AND invoice_id = $3 LIMIT 1`,
		a.account, a.livemode, p.InvoiceID)
	if err != nil || len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// attribute finds who a payment is credited to: the customer's existing
// attribution (later payments follow it, whatever the email), else the
// link to the newest click within the attribution window before the
// payment — which then becomes the customer's attribution. It also applies
// the tenant's recurring rule.
func (a *applier) attribute(p paymentRow) (attr attribution, ok, fresh bool, err error) {
	found := false
	if p.CustomerID != "" {
		err := a.tx.QueryRowContext(a.ctx, `SELECT affiliate_id, click_id, external_cid, revenue_origin_id, first_paid_at, first_source_id
			FROM stripe_customer_attributions WHERE account_id = $1 AND livemode = $2 AND customer_id = $3 FOR UPDATE`,
			a.account, a.livemode, p.CustomerID).Scan(&attr.affiliateID, &attr.clickID, &attr.externalCID, &attr.originID, &attr.firstPaidAt, &attr.firstSource)
		switch {
		case err == nil:
			found = true
		case err != sql.ErrNoRows:
			return attr, false, false, fmt.Errorf("reading attribution: %w", err)
		}
	}
	if !found || p.PaidAt.Before(attr.firstPaidAt) {
		// No attribution yet, or an earlier payment arrived late: the
		// first attributed payment is the earliest one a link covers.
		link, linked, err := a.link(p.Email, p.PaidAt)
		if err != nil {
			return attr, false, false, err
		}
		if linked {
			attr = attribution{affiliateID: link.AffiliateID, clickID: link.ClickID, externalCID: p.Email,
				originID: link.RevenueOriginID, firstPaidAt: p.PaidAt, firstSource: p.SourceID}
			if p.CustomerID != "" {
				if err := a.exec(`INSERT INTO stripe_customer_attributions (tenant_id, account_id, livemode, customer_id,
					affiliate_id, click_id, external_cid, revenue_origin_id, first_paid_at, first_source_id)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
					ON CONFLICT (account_id, livemode, customer_id) DO UPDATE SET affiliate_id = excluded.affiliate_id,
						click_id = excluded.click_id, external_cid = excluded.external_cid, revenue_origin_id = excluded.revenue_origin_id,
						first_paid_at = excluded.first_paid_at, first_source_id = excluded.first_source_id`,
					a.tenant.ID, a.account, a.livemode, p.CustomerID, attr.affiliateID, attr.clickID, attr.externalCID,
					attr.originID, attr.firstPaidAt, attr.firstSource); err != nil {
					return attr, false, false, fmt.Errorf("recording attribution: %w", err)
				}
				fresh = true
			}
			found = true
		} else if !found {
			return attr, false, false, nil
		}
	}
	if !a.tenant.Recurring.Eligible(p.SourceID == attr.firstSource, attr.firstPaidAt, p.PaidAt) {
		return attr, false, fresh, nil
	}
	return attr, true, fresh, nil
}

// evaluateCustomer re-evaluates a customer's payments that have no
// conversion yet (all but skip).
func (a *applier) evaluateCustomer(customerID, skip, eventID string) error {
	if customerID == "" {
		return nil
	}
	sources, err := a.strings(`SELECT source_id FROM stripe_payments WHERE account_id = $1 AND livemode = $2
		AND customer_id = $3 AND NOT converted AND source_id <> $4 ORDER BY paid_at`, a.account, a.livemode, customerID, skip)
	if err != nil {
		return err
	}
	for _, src := range sources {
		if err := a.evaluateSource(src, eventID, "customer attributed"); err != nil {
			return err
		}
	}
	return nil
}

// link is the tenant's link for email to the newest click made within the
// attribution window before paidAt.
func (a *applier) link(email string, paidAt time.Time) (Link, bool, error) {
	if email == "" {
		return Link{}, false, nil
	}
	var l Link
	// Stripe's times are whole seconds: a click within the payment's second
	// counts as before it.
	window := time.Duration(a.tenant.AttributionDays) * 24 * time.Hour
	err := a.tx.QueryRowContext(a.ctx, `SELECT l.click_id, c.affiliate_id, l.revenue_origin_id
		FROM customer_links l JOIN clicks c ON c.id = l.click_id
		WHERE l.tenant_id = $1 AND l.external_cid = $2 AND l.click_created_at < $3 AND l.click_created_at >= $4
		ORDER BY l.click_created_at DESC, l.id DESC LIMIT 1`,
		a.tenant.ID, email, paidAt.Add(time.Second), paidAt.Add(-window)).Scan(&l.ClickID, &l.AffiliateID, &l.RevenueOriginID)
	if err == sql.ErrNoRows {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("finding link: %w", err)
	}
	return l, true, nil
}

// facts gathers what is known of a payment for conversion.Evaluate.
func (a *applier) facts(p paymentRow, affiliateID, external, manual string) (conversion.Facts, error) {
	f := conversion.Facts{
		Livemode: a.livemode, Gross: p.Amount, Currency: p.Currency, PaidAt: p.PaidAt,
		HoldDays: a.tenant.HoldDays, Manual: manual,
	}
	var refunded int64
	var dispute string
	err := a.tx.QueryRowContext(a.ctx, `SELECT coalesce(max(amount_refunded), 0),
		coalesce(max(CASE dispute_status WHEN '' THEN NULL ELSE dispute_status END), '')
		FROM stripe_charges WHERE account_id = $1 AND livemode = $2
		AND (charge_id = $3 OR charge_id = $4 OR (invoice_id = $5 AND invoice_id <> ''))`,
		a.account, a.livemode, p.ChargeID, p.SourceID, p.InvoiceID).Scan(&refunded, &dispute)
	if err != nil {
		return f, fmt.Errorf("reading charge facts: %w", err)
	}
	f.Refunded, f.Dispute = refunded, conversion.DisputeState(dispute)
	if p.SubscriptionID != "" {
		var at time.Time
		err := a.tx.QueryRowContext(a.ctx, `SELECT canceled_at FROM stripe_subscriptions WHERE account_id = $1 AND livemode = $2
			AND subscription_id = $3`, a.account, a.livemode, p.SubscriptionID).Scan(&at)
		switch {
		case err == nil:
			f.CanceledAt = &at
		case err != sql.ErrNoRows:
			return f, fmt.Errorf("reading cancellation: %w", err)
		}
	}
	var affEmail string
	if err := a.tx.QueryRowContext(a.ctx, `SELECT email FROM affiliates WHERE tenant_id = $1 AND id = $2`,
		a.tenant.ID, affiliateID).Scan(&affEmail); err != nil && err != sql.ErrNoRows {
		return f, fmt.Errorf("reading affiliate: %w", err)
	}
	f.SelfReferral = external != "" && external == affEmail
	return f, nil
}

func (a *applier) history(conversionID string, st conversion.State, eventID, reason string) error {
	if err := a.exec(`INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, stripe_event, amount, commission)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		conversionID, a.tenant.ID, a.now, string(st.Status), reason, eventID, st.Amount, st.Commission); err != nil {
		return fmt.Errorf("recording history: %w", err)
	}
	return nil
}
