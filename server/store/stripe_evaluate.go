package store

import (
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Evaluation brings the conversions of a set of payments up to date, in a
// fixed number of statements per round whatever the number of payments:
// load a snapshot (the payments with their facts, their conversions, their
// customers' attributions, the links that could attribute them and the
// affiliates involved), let attribution.Decide make the plan, write the
// plan back in bulk. The store decides nothing: when the plan says a
// customer's attribution is new or moved earlier, the customer's other
// payments are loaded and decided in a further round, so the end state
// does not depend on the order in which events arrived.

// evaluate evaluates the payments in causes (source id → the Stripe event
// that caused the evaluation, "" for none); why explains creations not
// caused by an event.
func (a *applier) evaluate(causes map[string]string, why string) error {
	done := map[string]bool{}
	for round := 0; len(causes) > 0 && round < 5; round++ {
		snap, err := a.loadSnapshot(causes, why)
		if err != nil {
			return err
		}
		plan := attribution.Decide(snap)
		if err := a.write(plan); err != nil {
			return err
		}
		for src := range causes {
			done[src] = true
		}
		if causes, err = a.paymentsOfCustomers(plan, causes, done); err != nil {
			return err
		}
		why = "customer attributed"
	}
	return nil
}

// paymentsOfCustomers returns the payments of the customers the plan
// (re)attributed that this evaluation has not decided yet, each with the
// event that attributed its customer.
func (a *applier) paymentsOfCustomers(plan attribution.Plan, causes map[string]string, done map[string]bool) (map[string]string, error) {
	if len(plan.Reattributed) == 0 {
		return nil, nil
	}
	cause := map[string]string{}
	for _, c := range plan.Reattributed {
		cause[c] = causes[plan.Attributions[c].FirstSourceID]
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT customer_id, source_id FROM stripe_payments
		WHERE account_id = $1 AND livemode = $2 AND customer_id = ANY($3) AND (NOT converted OR customer_id = ANY($4))`,
		a.account, a.livemode, pq.Array(plan.Reattributed), pq.Array(plan.Moved))
	if err != nil {
		return nil, fmt.Errorf("finding a customer's other payments: %w", err)
	}
	next := map[string]string{}
	err = scanPairs(rows, func(customer, source string) {
		if !done[source] {
			next[source] = cause[customer]
		}
	})
	if err != nil {
		return nil, fmt.Errorf("finding a customer's other payments: %w", err)
	}
	return next, nil
}

// loadSnapshot loads what attribution.Decide needs to decide the payments
// in causes.
func (a *applier) loadSnapshot(causes map[string]string, why string) (attribution.Snapshot, error) {
	snap := attribution.Snapshot{
		Settings: attribution.Settings{Livemode: a.livemode, AttributionDays: a.tenant.AttributionDays, HoldDays: a.tenant.HoldDays,
			Commission: a.tenant.Commission, Recurring: a.tenant.Recurring},
		Now: a.now, Why: why,
	}
	sources := make([]string, 0, len(causes))
	for s := range causes {
		sources = append(sources, s)
	}
	payments, err := a.loadPayments(sources)
	if err != nil {
		return snap, err
	}
	if err := a.addMoneyBack(payments); err != nil {
		return snap, err
	}
	if err := a.addHints(payments); err != nil {
		return snap, err
	}
	convs, err := a.loadConversions(sources)
	if err != nil {
		return snap, err
	}
	var customerIDs []string
	var needLink []attribution.Payment
	byCustomer := map[string]int{}
	for _, p := range payments {
		p.Cause = causes[p.SourceID]
		if _, ok := convs[p.SourceID]; !ok && (p.Email != "" || len(p.ClickIDs) > 0 || len(p.PromotionCodes) > 0) {
			needLink = append(needLink, p)
		}
		i, ok := byCustomer[p.CustomerID]
		if !ok || p.CustomerID == "" {
			i = len(snap.Customers)
			snap.Customers = append(snap.Customers, attribution.Customer{ID: p.CustomerID, Conversions: map[string]attribution.Conversion{}})
			if p.CustomerID != "" {
				byCustomer[p.CustomerID] = i
				customerIDs = append(customerIDs, p.CustomerID)
			}
		}
		c := &snap.Customers[i]
		c.Payments = append(c.Payments, p)
		if conv, ok := convs[p.SourceID]; ok {
			c.Conversions[p.SourceID] = conv
		}
	}
	attrs, err := a.loadAttributions(customerIDs)
	if err != nil {
		return snap, err
	}
	for i := range snap.Customers {
		if at, ok := attrs[snap.Customers[i].ID]; ok && snap.Customers[i].ID != "" {
			snap.Customers[i].Attribution = &at
		}
	}
	if snap.Links, err = a.loadLinks(needLink); err != nil {
		return snap, err
	}
	if snap.Clicks, err = a.loadClicks(needLink); err != nil {
		return snap, err
	}
	if snap.Coupons, err = a.loadCoupons(needLink); err != nil {
		return snap, err
	}
	affIDs := map[string]bool{}
	for _, c := range convs {
		affIDs[c.AffiliateID] = true
	}
	for _, at := range attrs {
		affIDs[at.AffiliateID] = true
	}
	for _, ls := range snap.Links {
		for _, l := range ls {
			affIDs[l.AffiliateID] = true
		}
	}
	for _, c := range snap.Clicks {
		affIDs[c.AffiliateID] = true
	}
	for _, aff := range snap.Coupons {
		affIDs[aff] = true
	}
	snap.Affiliates, err = a.loadAffiliates(affIDs)
	return snap, err
}

// loadPayments reads payments with their facts.
func (a *applier) loadPayments(sources []string) ([]attribution.Payment, error) {
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
			SELECT source_id, max(nullif(dispute_status, '')) AS dispute, max(charge_id) AS charge
			FROM ch GROUP BY source_id
		)
		SELECT p.source_id, p.customer_id, p.email, p.amount, p.currency, p.paid_at,
			p.invoice_id, p.subscription_id,
			coalesce(agg.dispute, ''), coalesce(nullif(p.charge_id, ''), agg.charge, ''), s.canceled_at,
			p.click_id, p.promotion_codes, p.payment_intent_id
		FROM p LEFT JOIN agg ON agg.source_id = p.source_id
		LEFT JOIN stripe_subscriptions s ON p.subscription_id <> '' AND s.account_id = $1
			AND s.livemode = $2 AND s.subscription_id = p.subscription_id
		ORDER BY p.paid_at, p.source_id`, a.account, a.livemode, pq.Array(sources))
	if err != nil {
		return nil, fmt.Errorf("reading payments: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "payment", func(r scanner) (attribution.Payment, error) {
		var p attribution.Payment
		var canceled sql.NullTime
		err := r.Scan(&p.SourceID, &p.CustomerID, &p.Email, &p.Amount, &p.Currency, &p.PaidAt, &p.InvoiceID,
			&p.SubscriptionID, &p.Dispute, &p.ChargeID, &canceled, &p.ClickID, pq.Array(&p.PromotionCodes), &p.PaymentIntentID)
		if canceled.Valid {
			t := canceled.Time
			p.CanceledAt = &t
		}
		return p, err
	})
}

// addHints adds to each payment the click ids and promotion codes that
// other Stripe objects said about it (its customer, subscription, payment
// intent or invoice), after its own, in a fixed order.
func (a *applier) addHints(ps []attribution.Payment) error {
	var keys []string
	for i := range ps {
		p := &ps[i]
		if p.ClickID != "" {
			p.ClickIDs = []string{p.ClickID}
		}
		for _, k := range []string{p.CustomerID, p.SubscriptionID, p.PaymentIntentID, p.SourceID} {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT key, click_id, promotion_codes FROM stripe_attribution_hints
		WHERE account_id = $1 AND livemode = $2 AND key = ANY($3) ORDER BY key, origin`, a.account, a.livemode, pq.Array(keys))
	if err != nil {
		return fmt.Errorf("reading attribution hints: %w", err)
	}
	defer rows.Close()
	type hint struct {
		key, clickID string
		codes        []string
	}
	hints, err := scanAll(rows, "attribution hint", func(r scanner) (hint, error) {
		var h hint
		return h, r.Scan(&h.key, &h.clickID, pq.Array(&h.codes))
	})
	if err != nil || len(hints) == 0 {
		return err
	}
	for i := range ps {
		p := &ps[i]
		for _, h := range hints {
			if h.key == p.CustomerID || h.key == p.SubscriptionID || h.key == p.PaymentIntentID || h.key == p.SourceID {
				if h.clickID != "" {
					p.ClickIDs = append(p.ClickIDs, h.clickID)
				}
				p.PromotionCodes = append(p.PromotionCodes, h.codes...)
			}
		}
	}
	return nil
}

// loadConversions reads (and locks) the conversions of the payments.
func (a *applier) loadConversions(sources []string) (map[string]attribution.Conversion, error) {
	rows, err := a.tx.QueryContext(a.ctx, `SELECT id, source_id, affiliate_id, external_cid, status, amount, commission,
			manual_status, rule_type, rule_bp, rule_fixed, rule_currency, flags
		FROM conversions WHERE stripe_account = $1 AND livemode = $2 AND source_id = ANY($3)
		ORDER BY id FOR UPDATE`, a.account, a.livemode, pq.Array(sources))
	if err != nil {
		return nil, fmt.Errorf("reading conversions: %w", err)
	}
	defer rows.Close()
	list, err := scanAll(rows, "conversion", func(r scanner) (attribution.Conversion, error) {
		var c attribution.Conversion
		var status, ruleType string
		err := r.Scan(&c.ID, &c.SourceID, &c.AffiliateID, &c.ExternalCID, &status, &c.Amount, &c.Commission, &c.Manual,
			&ruleType, &c.Rule.BasisPoints, &c.Rule.Fixed, &c.Rule.Currency, pq.Array(&c.Flags))
		c.Status, c.Rule.Type = conversion.Status(status), conversion.RuleType(ruleType)
		return c, err
	})
	out := make(map[string]attribution.Conversion, len(list))
	for _, c := range list {
		out[c.SourceID] = c
	}
	return out, err
}

// loadAttributions reads (and locks) the customers' attributions.
func (a *applier) loadAttributions(customers []string) (map[string]attribution.Attribution, error) {
	out := map[string]attribution.Attribution{}
	if len(customers) == 0 {
		return out, nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT customer_id, affiliate_id, click_id, external_cid, revenue_origin_id,
			first_paid_at, first_source_id, source, coupon, flags
		FROM stripe_customer_attributions WHERE account_id = $1 AND livemode = $2 AND customer_id = ANY($3)
		ORDER BY customer_id FOR UPDATE`, a.account, a.livemode, pq.Array(customers))
	if err != nil {
		return nil, fmt.Errorf("reading attributions: %w", err)
	}
	type row struct {
		customer string
		attribution.Attribution
	}
	defer rows.Close()
	list, err := scanAll(rows, "attribution", func(r scanner) (row, error) {
		var x row
		var source string
		err := r.Scan(&x.customer, &x.AffiliateID, &x.ClickID, &x.ExternalCID, &x.OriginID, &x.FirstPaidAt, &x.FirstSourceID, &source, &x.Coupon, pq.Array(&x.Flags))
		x.Source = tracklane.Source(source)
		return x, err
	})
	for _, x := range list {
		out[x.customer] = x.Attribution
	}
	return out, err
}

// loadLinks reads, by email, the tenant's links whose clicks fall in the
// attribution window of one of the payments; the rule picks among them.
func (a *applier) loadLinks(ps []attribution.Payment) (map[string][]attribution.Link, error) {
	out := map[string][]attribution.Link{}
	if len(ps) == 0 {
		return out, nil
	}
	window := attribution.Window{Days: a.tenant.AttributionDays}
	email, from, to := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		f, t := window.Bounds(p.PaidAt)
		email[i], from[i], to[i] = p.Email, f.UTC().Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano)
	}
	// A lateral probe per payment keeps this an index lookup of
	// customer_links whatever its size.
	rows, err := a.tx.QueryContext(a.ctx, `SELECT DISTINCT ON (l.id) l.id, l.external_cid, l.click_id, l.click_created_at, c.affiliate_id,
			l.revenue_origin_id, l.flags
		FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS u(email, from_at, to_at)
		CROSS JOIN LATERAL (
			SELECT l.id, l.external_cid, l.click_id, l.click_created_at, l.revenue_origin_id, l.flags FROM customer_links l
			WHERE l.tenant_id = $1 AND l.external_cid = u.email AND l.click_created_at >= u.from_at AND l.click_created_at < u.to_at
		) l
		JOIN clicks c ON c.id = l.click_id`,
		a.tenant.ID, pq.Array(email), pq.Array(from), pq.Array(to))
	if err != nil {
		return nil, fmt.Errorf("finding links: %w", err)
	}
	defer rows.Close()
	list, err := scanAll(rows, "link", func(r scanner) (attribution.Link, error) {
		var l attribution.Link
		err := r.Scan(&l.ID, &l.Email, &l.ClickID, &l.ClickAt, &l.AffiliateID, &l.OriginID, pq.Array(&l.Flags))
		return l, err
	})
	for _, l := range list {
		out[l.Email] = append(out[l.Email], l)
	}
	return out, err
}

// loadClicks reads the tenant's clicks among the payments' click ids;
// anything else (another tenant's id, garbage) is simply not found.
func (a *applier) loadClicks(ps []attribution.Payment) (map[string]attribution.Click, error) {
	out := map[string]attribution.Click{}
	var ids []string
	for _, p := range ps {
		for _, id := range p.ClickIDs {
			if tracklane.ValidClickID(id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT id, affiliate_id, created_at FROM clicks WHERE tenant_id = $1 AND id = ANY($2)`,
		a.tenant.ID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("reading clicks: %w", err)
	}
	defer rows.Close()
	list, err := scanAll(rows, "click", func(r scanner) (attribution.Click, error) {
		var c attribution.Click
		err := r.Scan(&c.ID, &c.AffiliateID, &c.CreatedAt)
		return c, err
	})
	for _, c := range list {
		out[c.ID] = c
	}
	return out, err
}

// loadCoupons reads which of the payments' promotion codes the tenant
// assigned to an affiliate.
func (a *applier) loadCoupons(ps []attribution.Payment) (map[string]string, error) {
	out := map[string]string{}
	var codes []string
	for _, p := range ps {
		codes = append(codes, p.PromotionCodes...)
	}
	if len(codes) == 0 {
		return out, nil
	}
	rows, err := a.tx.QueryContext(a.ctx, `SELECT code, affiliate_id FROM affiliate_coupons WHERE tenant_id = $1 AND code = ANY($2)`,
		a.tenant.ID, pq.Array(codes))
	if err != nil {
		return nil, fmt.Errorf("reading coupons: %w", err)
	}
	if err := scanPairs(rows, func(code, aff string) { out[code] = aff }); err != nil {
		return nil, fmt.Errorf("reading coupons: %w", err)
	}
	return out, nil
}

// loadAffiliates reads the tenant's affiliates by id: email (for the
// self-referral rule) and commission override.
func (a *applier) loadAffiliates(ids map[string]bool) (map[string]attribution.Affiliate, error) {
	out := map[string]attribution.Affiliate{}
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
	type row struct {
		id string
		attribution.Affiliate
	}
	defer rows.Close()
	affs, err := scanAll(rows, "affiliate", func(r scanner) (row, error) {
		var x row
		var ctype sql.NullString
		var rule conversion.Rule
		err := r.Scan(&x.id, &x.Email, &ctype, &rule.BasisPoints, &rule.Fixed, &rule.Currency)
		if ctype.Valid {
			rule.Type = conversion.RuleType(ctype.String)
			x.Commission = &rule
		}
		return x, err
	})
	for _, x := range affs {
		out[x.id] = x.Affiliate
	}
	return out, err
}

// write writes a plan: attributions, new conversions (and their payments
// marked converted), changed conversions, history; it counts conversions
// created and updated once each per evaluation.
func (a *applier) write(plan attribution.Plan) error {
	if err := a.writeAttributions(plan.Attributions); err != nil {
		return err
	}
	var history []historyWrite
	ids := make([]string, len(plan.Creates))
	for i, c := range plan.Creates {
		ids[i] = ident.New("cv_")
		history = append(history, historyWrite{conversionID: ids[i], event: c.Payment.Cause, reason: c.History, st: c.State})
		a.created++
		a.touched[ids[i]] = true
	}
	if err := a.insertConversions(plan.Creates, ids); err != nil {
		return err
	}
	for _, u := range plan.Updates {
		history = append(history, historyWrite{conversionID: u.ID, event: u.Cause, reason: u.History, st: u.State})
		if !a.touched[u.ID] {
			a.updated++
			a.touched[u.ID] = true
		}
	}
	if err := a.updateConversions(plan.Updates); err != nil {
		return err
	}
	return a.insertHistory(history)
}

type historyWrite struct {
	conversionID, event, reason string
	st                          conversion.State
}

func (a *applier) writeAttributions(attrs map[string]attribution.Attribution) error {
	n := len(attrs)
	if n == 0 {
		return nil
	}
	customers := make([]string, 0, n)
	for c := range attrs {
		customers = append(customers, c)
	}
	sort.Strings(customers) // a fixed lock order against concurrent writers
	aff, click, ext, origin, first, src := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	source, coupon, flags := make([]string, n), make([]string, n), make([]string, n)
	for i, c := range customers {
		at := attrs[c]
		flags[i] = arrayLiteral(at.Flags)
		aff[i], click[i], ext[i], origin[i] = at.AffiliateID, at.ClickID, at.ExternalCID, at.OriginID
		first[i], src[i], source[i], coupon[i] = at.FirstPaidAt.UTC().Format(time.RFC3339Nano), at.FirstSourceID, string(at.Source), at.Coupon
	}
	if err := a.exec(`INSERT INTO stripe_customer_attributions (tenant_id, account_id, livemode, customer_id,
			affiliate_id, click_id, external_cid, revenue_origin_id, first_paid_at, first_source_id, source, coupon, flags)
		SELECT $1, $2, $3, u.c, u.a, u.ck, u.e, u.o, u.f, u.s, u.src, u.cp, u.fl::text[]
		FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[],
			$11::text[], $12::text[], $13::text[]) AS u(c, a, ck, e, o, f, s, src, cp, fl)
		ON CONFLICT (account_id, livemode, customer_id) DO UPDATE SET affiliate_id = excluded.affiliate_id,
			click_id = excluded.click_id, external_cid = excluded.external_cid, revenue_origin_id = excluded.revenue_origin_id,
			first_paid_at = excluded.first_paid_at, first_source_id = excluded.first_source_id,
			source = excluded.source, coupon = excluded.coupon, flags = excluded.flags`,
		a.tenant.ID, a.account, a.livemode, pq.Array(customers), pq.Array(aff), pq.Array(click), pq.Array(ext), pq.Array(origin),
		pq.Array(first), pq.Array(src), pq.Array(source), pq.Array(coupon), pq.Array(flags)); err != nil {
		return fmt.Errorf("recording attributions: %w", err)
	}
	return nil
}

func (a *applier) insertConversions(creates []attribution.Create, ids []string) error {
	n := len(creates)
	if n == 0 {
		return nil
	}
	var (
		aff, click, ext, origin, src, cus, inv, ch, sub, cur = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		gross, amount, comm, bp, fixed = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		rtype, rcur, status, created   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		source, coupon, flags          = make([]string, n), make([]string, n), make([]string, n)
	)
	for i, c := range creates {
		p := c.Payment
		aff[i], click[i], ext[i], origin[i] = c.Attribution.AffiliateID, c.Attribution.ClickID, c.ExternalCID, c.Attribution.OriginID
		src[i], cus[i], inv[i], ch[i], sub[i], cur[i] = p.SourceID, p.CustomerID, p.InvoiceID, p.ChargeID, p.SubscriptionID, p.Currency
		gross[i], amount[i], comm[i], bp[i], fixed[i] = p.Amount, c.State.Amount, c.State.Commission, c.Rule.BasisPoints, c.Rule.Fixed
		rtype[i], rcur[i], status[i], created[i] = string(c.Rule.Type), c.Rule.Currency, string(c.State.Status), p.PaidAt.UTC().Format(time.RFC3339Nano)
		source[i], coupon[i], flags[i] = string(c.Attribution.Source), c.Attribution.Coupon, arrayLiteral(c.Attribution.Flags)
	}
	if err := a.exec(`INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
			stripe_account, livemode, source_id, stripe_customer, stripe_invoice, stripe_charge, stripe_subscription,
			currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status, created_at, updated_at,
			source, coupon, flags)
		SELECT u.id, $1, u.aff, u.click, u.ext, u.origin, $2, $3, u.src, u.cus, u.inv, u.ch, u.sub, u.cur, u.gross, u.amount, u.comm,
			u.rtype, u.bp, u.fixed, u.rcur, u.status, u.created, $4, u.source, u.coupon, u.flags::text[]
		FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
			$14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::bigint[], $19::text[], $20::bigint[], $21::bigint[],
			$22::text[], $23::text[], $24::timestamptz[], $25::text[], $26::text[], $27::text[])
			AS u(id, aff, click, ext, origin, src, cus, inv, ch, sub, cur, gross, amount, comm, rtype, bp, fixed, rcur, status, created,
				source, coupon, flags)`,
		a.tenant.ID, a.account, a.livemode, a.now,
		pq.Array(ids), pq.Array(aff), pq.Array(click), pq.Array(ext), pq.Array(origin), pq.Array(src), pq.Array(cus), pq.Array(inv),
		pq.Array(ch), pq.Array(sub), pq.Array(cur), pq.Array(gross), pq.Array(amount), pq.Array(comm), pq.Array(rtype), pq.Array(bp),
		pq.Array(fixed), pq.Array(rcur), pq.Array(status), pq.Array(created), pq.Array(source), pq.Array(coupon), pq.Array(flags)); err != nil {
		return fmt.Errorf("inserting conversions: %w", err)
	}
	if err := a.exec(`UPDATE stripe_payments SET converted = true WHERE account_id = $1 AND livemode = $2 AND source_id = ANY($3)`,
		a.account, a.livemode, pq.Array(src)); err != nil {
		return fmt.Errorf("marking payments converted: %w", err)
	}
	return nil
}

func (a *applier) updateConversions(updates []attribution.Update) error {
	n := len(updates)
	if n == 0 {
		return nil
	}
	id, status, amount, comm := make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
	states := make([]conversion.State, n)
	for i, u := range updates {
		id[i], status[i], amount[i], comm[i], states[i] = u.ID, string(u.State.Status), u.State.Amount, u.State.Commission, u.State
	}
	if err := a.exec(`UPDATE conversions c SET status = u.status, amount = u.amount, commission = u.comm, updated_at = $1
		FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(id, status, amount, comm)
		WHERE c.id = u.id`, a.now, pq.Array(id), pq.Array(status), pq.Array(amount), pq.Array(comm)); err != nil {
		return fmt.Errorf("updating conversions: %w", err)
	}
	return recordClawbacks(a.ctx, a.tx, a.tenant.ID, id, states, a.now)
}

func (a *applier) insertHistory(history []historyWrite) error {
	n := len(history)
	if n == 0 {
		return nil
	}
	id, status, reason, ev, amount, comm := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n), make([]int64, n)
	for i, h := range history {
		id[i], status[i], reason[i], ev[i], amount[i], comm[i] = h.conversionID, string(h.st.Status), h.reason, h.event, h.st.Amount, h.st.Commission
	}
	if err := a.exec(`INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, stripe_event, amount, commission)
		SELECT u.id, $1, $2, u.status, u.reason, u.ev, u.amount, u.comm
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[]) WITH ORDINALITY
			AS u(id, status, reason, ev, amount, comm, n) ORDER BY u.n`,
		a.tenant.ID, a.now, pq.Array(id), pq.Array(status), pq.Array(reason), pq.Array(ev), pq.Array(amount), pq.Array(comm)); err != nil {
		return fmt.Errorf("recording history: %w", err)
	}
	return nil
}
