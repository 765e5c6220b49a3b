package store

import (
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
)

// Evaluation brings the conversions of a set of payments up to date, in a
// fixed number of statements per round whatever the number of payments:
// read the payments with their facts, their conversions, their customers'
// attributions, the links that could attribute them and the affiliates
// involved; decide in Go, in order of payment time; write back in bulk.
// When a customer becomes attributed, its earlier payments that had no
// conversion are evaluated in a further round, so the end state does not
// depend on the order in which events arrived.

// payment is a stored payment with the facts evaluation needs.
type payment struct {
	PaymentFact
	refunded   int64
	dispute    string
	chargeID   string // its own, or the charge known to have paid its invoice
	canceledAt *time.Time
}

type attribution struct {
	affiliateID, clickID, externalCID, originID, firstSource string
	firstPaidAt                                              time.Time
}

type existingConversion struct {
	id, affiliateID, externalCID, manual string
	status                               conversion.Status
	amount, commission                   int64
	rule                                 conversion.Rule
}

type affiliateRule struct {
	email string
	rule  *conversion.Rule
}

type linkHit struct{ clickID, affiliateID, originID string }

// evaluate evaluates the payments in causes (source id → the Stripe event
// that caused the evaluation, "" for none); why explains creations not
// caused by an event.
func (a *applier) evaluate(causes map[string]string, why string) error {
	for round := 0; len(causes) > 0 && round < 5; round++ {
		fresh, err := a.evaluateRound(causes, why)
		if err != nil {
			return err
		}
		causes, err = a.waitingOfCustomers(fresh, causes)
		if err != nil {
			return err
		}
		why = "customer attributed"
	}
	return nil
}

// waitingOfCustomers returns the unconverted payments of newly attributed
// customers (with the event that attributed them), except those done.
func (a *applier) waitingOfCustomers(fresh map[string]string, done map[string]string) (map[string]string, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	customers := make([]string, 0, len(fresh))
	for c := range fresh {
		customers = append(customers, c)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT customer_id, source_id FROM stripe_payments
		WHERE account_id = $1 AND livemode = $2 AND customer_id = ANY($3) AND NOT converted`,
		a.account, a.livemode, pq.Array(customers))
	if err != nil {
		return nil, fmt.Errorf("finding a customer's waiting payments: %w", err)
	}
	next := map[string]string{}
	err = scanPairs(rows, func(customer, source string) {
		if _, ok := done[source]; !ok {
			next[source] = fresh[customer]
		}
	})
	if err != nil {
		return nil, fmt.Errorf("finding a customer's waiting payments: %w", err)
	}
	return next, nil
}

// evaluateRound evaluates one set of payments and returns the customers it
// attributed for the first time (or earlier than before), with the event.
func (a *applier) evaluateRound(causes map[string]string, why string) (map[string]string, error) {
	sources := make([]string, 0, len(causes))
	for s := range causes {
		sources = append(sources, s)
	}
	payments, err := a.loadPayments(sources)
	if err != nil {
		return nil, err
	}
	convs, err := a.loadConversions(sources)
	if err != nil {
		return nil, err
	}
	var customers []string
	var needLink []*payment
	for _, p := range payments {
		if _, ok := convs[p.SourceID]; ok {
			continue
		}
		if p.CustomerID != "" {
			customers = append(customers, p.CustomerID)
		}
		if p.Email != "" {
			needLink = append(needLink, p)
		}
	}
	attrs, err := a.loadAttributions(customers)
	if err != nil {
		return nil, err
	}
	links, err := a.loadLinks(needLink)
	if err != nil {
		return nil, err
	}
	affIDs := map[string]bool{}
	for _, c := range convs {
		affIDs[c.affiliateID] = true
	}
	for _, at := range attrs {
		affIDs[at.affiliateID] = true
	}
	for _, l := range links {
		affIDs[l.affiliateID] = true
	}
	affs, err := a.loadAffiliates(affIDs)
	if err != nil {
		return nil, err
	}

	w := &writes{}
	fresh := map[string]string{}
	for _, p := range payments { // in order of payment time
		cause := causes[p.SourceID]
		if c, ok := convs[p.SourceID]; ok {
			a.update(w, p, c, affs[c.affiliateID].email, cause)
			continue
		}
		at, found := attrs[p.CustomerID]
		if p.CustomerID == "" {
			found = false
		}
		if l, ok := links[p.SourceID]; ok && (!found || p.PaidAt.Before(at.firstPaidAt)) {
			// No attribution yet, or an earlier payment arrived late: the
			// first attributed payment is the earliest one a link covers.
			at = attribution{affiliateID: l.affiliateID, clickID: l.clickID, externalCID: p.Email, originID: l.originID,
				firstPaidAt: p.PaidAt, firstSource: p.SourceID}
			found = true
			if p.CustomerID != "" {
				attrs[p.CustomerID] = at
				w.attributions = append(w.attributions, attributionWrite{customer: p.CustomerID, attribution: at})
				fresh[p.CustomerID] = cause
			}
		}
		if !found || !a.tenant.Recurring.Eligible(p.SourceID == at.firstSource, at.firstPaidAt, p.PaidAt) {
			continue
		}
		aff, ok := affs[at.affiliateID]
		if !ok {
			continue // the affiliate was deleted: nobody to credit
		}
		a.create(w, p, at, aff, cause, why)
	}
	if err := a.flush(w); err != nil {
		return nil, err
	}
	return fresh, nil
}

// loadPayments reads payments with their facts, ordered by payment time.
func (a *applier) loadPayments(sources []string) ([]*payment, error) {
	// Joins rather than a per-payment sub-query: the planner can hash the
	// account's charges once per page instead of probing per payment.
	rows, err := a.tx.QueryContext(a.ctx, `WITH p AS (
			SELECT * FROM stripe_payments WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)
		), ch AS (
			SELECT p.source_id, c.amount_refunded, c.dispute_status, c.charge_id
			FROM p JOIN stripe_charges c ON c.account_id = $1 AND c.livemode = $2 AND c.charge_id IN (p.charge_id, p.source_id)
			UNION ALL
			SELECT p.source_id, c.amount_refunded, c.dispute_status, c.charge_id
			FROM p JOIN stripe_charges c ON c.account_id = $1 AND c.livemode = $2 AND c.invoice_id = p.invoice_id
			WHERE p.invoice_id <> '' AND c.invoice_id <> ''
		), agg AS (
			SELECT source_id, max(amount_refunded) AS refunded, max(nullif(dispute_status, '')) AS dispute, max(charge_id) AS charge
			FROM ch GROUP BY source_id
		)
		SELECT p.source_id, p.customer_id, p.email, p.amount, p.currency, p.paid_at,
			p.invoice_id, p.charge_id, p.subscription_id,
			coalesce(agg.refunded, 0), coalesce(agg.dispute, ''), coalesce(nullif(p.charge_id, ''), agg.charge, ''), s.canceled_at
		FROM p LEFT JOIN agg ON agg.source_id = p.source_id
		LEFT JOIN stripe_subscriptions s ON p.subscription_id <> '' AND s.account_id = $1
			AND s.livemode = $2 AND s.subscription_id = p.subscription_id
		ORDER BY p.paid_at, p.source_id`, a.account, a.livemode, pq.Array(sources))
	if err != nil {
		return nil, fmt.Errorf("reading payments: %w", err)
	}
	defer rows.Close()
	var out []*payment
	for rows.Next() {
		p := &payment{}
		var canceled sql.NullTime
		if err := rows.Scan(&p.SourceID, &p.CustomerID, &p.Email, &p.Amount, &p.Currency, &p.PaidAt, &p.InvoiceID, &p.ChargeID,
			&p.SubscriptionID, &p.refunded, &p.dispute, &p.chargeID, &canceled); err != nil {
			return nil, fmt.Errorf("reading payments: %w", err)
		}
		if canceled.Valid {
			t := canceled.Time
			p.canceledAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadConversions reads (and locks) the conversions of the payments.
func (a *applier) loadConversions(sources []string) (map[string]existingConversion, error) {
	rows, err := a.tx.QueryContext(a.ctx, `SELECT source_id, id, affiliate_id, external_cid, status, amount, commission,
			manual_status, rule_type, rule_bp, rule_fixed, rule_currency
		FROM conversions WHERE stripe_account = $1 AND livemode = $2 AND source_id = ANY($3)
		ORDER BY id FOR UPDATE`, a.account, a.livemode, pq.Array(sources))
	if err != nil {
		return nil, fmt.Errorf("reading conversions: %w", err)
	}
	defer rows.Close()
	out := map[string]existingConversion{}
	for rows.Next() {
		var src, status, ruleType string
		var c existingConversion
		if err := rows.Scan(&src, &c.id, &c.affiliateID, &c.externalCID, &status, &c.amount, &c.commission, &c.manual,
			&ruleType, &c.rule.BasisPoints, &c.rule.Fixed, &c.rule.Currency); err != nil {
			return nil, fmt.Errorf("reading conversions: %w", err)
		}
		c.status, c.rule.Type = conversion.Status(status), conversion.RuleType(ruleType)
		out[src] = c
	}
	return out, rows.Err()
}

// loadAttributions reads (and locks) the customers' attributions.
func (a *applier) loadAttributions(customers []string) (map[string]attribution, error) {
	out := map[string]attribution{}
	if len(customers) == 0 {
		return out, nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT customer_id, affiliate_id, click_id, external_cid, revenue_origin_id,
			first_paid_at, first_source_id
		FROM stripe_customer_attributions WHERE account_id = $1 AND livemode = $2 AND customer_id = ANY($3)
		ORDER BY customer_id FOR UPDATE`, a.account, a.livemode, pq.Array(customers))
	if err != nil {
		return nil, fmt.Errorf("reading attributions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cus string
		var at attribution
		if err := rows.Scan(&cus, &at.affiliateID, &at.clickID, &at.externalCID, &at.originID, &at.firstPaidAt, &at.firstSource); err != nil {
			return nil, fmt.Errorf("reading attributions: %w", err)
		}
		out[cus] = at
	}
	return out, rows.Err()
}

// loadLinks finds, for each payment, the tenant's link of its email to the
// newest click made within the attribution window before the payment.
// Stripe's times are whole seconds: a click within the payment's second
// counts as before it.
func (a *applier) loadLinks(ps []*payment) (map[string]linkHit, error) {
	out := map[string]linkHit{}
	if len(ps) == 0 {
		return out, nil
	}
	src, email, paid := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		src[i], email[i], paid[i] = p.SourceID, p.Email, p.PaidAt.UTC().Format(time.RFC3339Nano)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT u.source_id, l.click_id, c.affiliate_id, l.revenue_origin_id
		FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS u(source_id, email, paid_at)
		CROSS JOIN LATERAL (
			SELECT l.click_id, l.revenue_origin_id FROM customer_links l
			WHERE l.tenant_id = $1 AND l.external_cid = u.email
				AND l.click_created_at < u.paid_at + interval '1 second'
				AND l.click_created_at >= u.paid_at - $5::int * interval '1 day'
			ORDER BY l.click_created_at DESC, l.id DESC LIMIT 1
		) l
		JOIN clicks c ON c.id = l.click_id`,
		a.tenant.ID, pq.Array(src), pq.Array(email), pq.Array(paid), a.tenant.AttributionDays)
	if err != nil {
		return nil, fmt.Errorf("finding links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var l linkHit
		if err := rows.Scan(&s, &l.clickID, &l.affiliateID, &l.originID); err != nil {
			return nil, fmt.Errorf("finding links: %w", err)
		}
		out[s] = l
	}
	return out, rows.Err()
}

// loadAffiliates reads the tenant's affiliates by id: email (for the
// self-referral rule) and commission override.
func (a *applier) loadAffiliates(ids map[string]bool) (map[string]affiliateRule, error) {
	out := map[string]affiliateRule{}
	if len(ids) == 0 {
		return out, nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT id, email, commission_type, commission_bp, commission_fixed, commission_currency
		FROM affiliates WHERE tenant_id = $1 AND id = ANY($2)`, a.tenant.ID, pq.Array(list))
	if err != nil {
		return nil, fmt.Errorf("reading affiliates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ar affiliateRule
		var ctype sql.NullString
		var r conversion.Rule
		if err := rows.Scan(&id, &ar.email, &ctype, &r.BasisPoints, &r.Fixed, &r.Currency); err != nil {
			return nil, fmt.Errorf("reading affiliates: %w", err)
		}
		if ctype.Valid {
			r.Type = conversion.RuleType(ctype.String)
			ar.rule = &r
		}
		out[id] = ar
	}
	return out, rows.Err()
}

// facts assembles conversion.Facts for a payment.
func (a *applier) facts(p *payment, external, affiliateEmail, manual string) conversion.Facts {
	return conversion.Facts{
		Livemode: a.livemode, Gross: p.Amount, Currency: p.Currency, PaidAt: p.PaidAt, HoldDays: a.tenant.HoldDays,
		Refunded: p.refunded, Dispute: conversion.DisputeState(p.dispute), CanceledAt: p.canceledAt, Manual: manual,
		SelfReferral: external != "" && external == affiliateEmail,
	}
}

// writes collects a round's changes for one bulk write each.
type writes struct {
	attributions []attributionWrite
	inserts      []conversionInsert
	updates      []conversionUpdate
	history      []historyWrite
}

type attributionWrite struct {
	customer string
	attribution
}

type conversionInsert struct {
	id  string
	p   *payment
	at  attribution
	ext string
	r   conversion.Rule
	st  conversion.State
}

type conversionUpdate struct {
	id string
	st conversion.State
}

type historyWrite struct {
	conversionID, event, reason string
	st                          conversion.State
}

func (a *applier) create(w *writes, p *payment, at attribution, aff affiliateRule, cause, why string) {
	rule := a.tenant.Commission
	if aff.rule != nil {
		rule = *aff.rule
	}
	external := p.Email
	if external == "" {
		external = at.externalCID
	}
	st := conversion.Evaluate(a.facts(p, external, aff.email, ""), rule, a.now)
	id := ident.New("cv_")
	w.inserts = append(w.inserts, conversionInsert{id: id, p: p, at: at, ext: external, r: rule, st: st})
	reason := "conversion created: " + st.Reason
	if why != "" && cause == "" {
		reason = "conversion created (" + why + "): " + st.Reason
	}
	w.history = append(w.history, historyWrite{conversionID: id, event: cause, reason: reason, st: st})
	a.created++
	a.touched[id] = true
}

func (a *applier) update(w *writes, p *payment, c existingConversion, affiliateEmail, cause string) {
	st := conversion.Evaluate(a.facts(p, c.externalCID, affiliateEmail, c.manual), c.rule, a.now)
	if st.Status == c.status && st.Amount == c.amount && st.Commission == c.commission {
		return
	}
	w.updates = append(w.updates, conversionUpdate{id: c.id, st: st})
	w.history = append(w.history, historyWrite{conversionID: c.id, event: cause, reason: st.Reason, st: st})
	if !a.touched[c.id] {
		a.updated++
		a.touched[c.id] = true
	}
}

// flush writes a round's changes: attributions, new conversions (and their
// payments marked converted), changed conversions, history.
func (a *applier) flush(w *writes) error {
	if n := len(w.attributions); n > 0 {
		sort.Slice(w.attributions, func(i, j int) bool { return w.attributions[i].customer < w.attributions[j].customer })
		cus, aff, click, ext, origin, first, src := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n),
			make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		seen := map[string]bool{}
		for i := n - 1; i >= 0; i-- { // the last decision for a customer wins
			at := w.attributions[i]
			if seen[at.customer] {
				continue
			}
			seen[at.customer] = true
			cus, aff, click, ext = append(cus, at.customer), append(aff, at.affiliateID), append(click, at.clickID), append(ext, at.externalCID)
			origin, first, src = append(origin, at.originID), append(first, at.firstPaidAt.UTC().Format(time.RFC3339Nano)), append(src, at.firstSource)
		}
		if err := a.exec(`INSERT INTO stripe_customer_attributions (tenant_id, account_id, livemode, customer_id,
				affiliate_id, click_id, external_cid, revenue_origin_id, first_paid_at, first_source_id)
			SELECT $1, $2, $3, u.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[]) AS u
			ON CONFLICT (account_id, livemode, customer_id) DO UPDATE SET affiliate_id = excluded.affiliate_id,
				click_id = excluded.click_id, external_cid = excluded.external_cid, revenue_origin_id = excluded.revenue_origin_id,
				first_paid_at = excluded.first_paid_at, first_source_id = excluded.first_source_id`,
			a.tenant.ID, a.account, a.livemode, pq.Array(cus), pq.Array(aff), pq.Array(click), pq.Array(ext), pq.Array(origin),
			pq.Array(first), pq.Array(src)); err != nil {
			return fmt.Errorf("recording attributions: %w", err)
		}
	}
	if n := len(w.inserts); n > 0 {
		var (
			id, aff, click, ext, origin, src, cus, inv, ch, sub, cur = make([]string, n), make([]string, n), make([]string, n), make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			gross, amount, comm, bp, fixed = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
			rtype, rcur, status, created   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		)
		for i, c := range w.inserts {
			id[i], aff[i], click[i], ext[i], origin[i] = c.id, c.at.affiliateID, c.at.clickID, c.ext, c.at.originID
			src[i], cus[i], inv[i], ch[i], sub[i], cur[i] = c.p.SourceID, c.p.CustomerID, c.p.InvoiceID, c.p.chargeID, c.p.SubscriptionID, c.p.Currency
			gross[i], amount[i], comm[i], bp[i], fixed[i] = c.p.Amount, c.st.Amount, c.st.Commission, c.r.BasisPoints, c.r.Fixed
			rtype[i], rcur[i], status[i], created[i] = string(c.r.Type), c.r.Currency, string(c.st.Status), c.p.PaidAt.UTC().Format(time.RFC3339Nano)
		}
		if err := a.exec(`INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
				stripe_account, livemode, source_id, stripe_customer, stripe_invoice, stripe_charge, stripe_subscription,
				currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status, created_at, updated_at)
			SELECT u.id, $1, u.aff, u.click, u.ext, u.origin, $2, $3, u.src, u.cus, u.inv, u.ch, u.sub, u.cur, u.gross, u.amount, u.comm,
				u.rtype, u.bp, u.fixed, u.rcur, u.status, u.created, $4
			FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
				$14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[], $19::text[], $20::bigint[], $21::bigint[],
				$22::text[], $23::text[], $24::timestamptz[])
				AS u(id, aff, click, ext, origin, src, cus, inv, ch, sub, cur, gross, amount, comm, rtype, bp, fixed, rcur, status, created)`,
			a.tenant.ID, a.account, a.livemode, a.now,
			pq.Array(id), pq.Array(aff), pq.Array(click), pq.Array(ext), pq.Array(origin), pq.Array(src), pq.Array(cus), pq.Array(inv),
			pq.Array(ch), pq.Array(sub), pq.Array(cur), pq.Array(gross), pq.Array(amount), pq.Array(comm), pq.Array(rtype), pq.Array(bp),
			pq.Array(fixed), pq.Array(rcur), pq.Array(status), pq.Array(created)); err != nil {
			return fmt.Errorf("inserting conversions: %w", err)
		}
		if err := a.exec(`UPDATE stripe_payments SET converted = true WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)`,
			a.account, a.livemode, pq.Array(src)); err != nil {
			return fmt.Errorf("marking payments converted: %w", err)
		}
	}
	if n := len(w.updates); n > 0 {
		id, status, amount, comm := make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
		for i, u := range w.updates {
			id[i], status[i], amount[i], comm[i] = u.id, string(u.st.Status), u.st.Amount, u.st.Commission
		}
		if err := a.exec(`UPDATE conversions c SET status = u.status, amount = u.amount, commission = u.comm, updated_at = $1
			FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(id, status, amount, comm)
			WHERE c.id = u.id`, a.now, pq.Array(id), pq.Array(status), pq.Array(amount), pq.Array(comm)); err != nil {
			return fmt.Errorf("updating conversions: %w", err)
		}
	}
	if n := len(w.history); n > 0 {
		id, status, reason, ev, amount, comm := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
		for i, h := range w.history {
			id[i], status[i], reason[i], ev[i], amount[i], comm[i] = h.conversionID, string(h.st.Status), h.reason, h.event, h.st.Amount, h.st.Commission
		}
		if err := a.exec(`INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, stripe_event, amount, commission)
			SELECT u.id, $1, $2, u.status, u.reason, u.ev, u.amount, u.comm
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[]) WITH ORDINALITY
				AS u(id, status, reason, ev, amount, comm, n) ORDER BY u.n`,
			a.tenant.ID, a.now, pq.Array(id), pq.Array(status), pq.Array(reason), pq.Array(ev), pq.Array(amount), pq.Array(comm)); err != nil {
			return fmt.Errorf("recording history: %w", err)
		}
	}
	return nil
}
