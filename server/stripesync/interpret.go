package stripesync

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// interpreter turns raw events of one connection into store facts. It reads
// from Stripe only what a payload lacks: a customer's email when the
// customer is not attributed yet, or — for newer API versions, where a
// charge no longer names its invoice — the invoice a charge paid.
type interpreter struct {
	client *Client
	store  Store
	conn   tracklane.StripeConnection

	emails     map[string]string        // customer → email, per check
	invoices   map[string]invoiceWindow // customer → invoices listed, per check
	pageParsed map[string]invoiceObject // the page's invoice.paid payloads, by event id, parsed once
	promoCodes map[string]string        // promotion code id → folded text, per check
}

func (in *interpreter) interpret(ctx context.Context, ev Event) (tracklane.StripeEvent, error) {
	se := tracklane.StripeEvent{ID: ev.ID, Type: ev.Type, Created: time.Unix(ev.Created, 0).UTC(), Livemode: ev.Livemode}
	var err error
	switch ev.Type {
	case "invoice.paid":
		err = in.invoicePaid(ctx, ev, &se)
	case "charge.succeeded", "charge.refunded":
		err = in.charge(ctx, ev, &se)
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed":
		var d disputeObject
		if json.Unmarshal(ev.Data.Object, &d) == nil && d.Charge != "" {
			se.Charge = &tracklane.ChargeFact{ChargeID: string(d.Charge), DisputeID: d.ID, DisputeStatus: d.Status}
		}
	case "customer.subscription.deleted":
		var s subscriptionObject
		if json.Unmarshal(ev.Data.Object, &s) == nil && s.ID != "" {
			se.Subscription = &tracklane.SubscriptionFact{SubscriptionID: s.ID, CanceledAt: time.Unix(s.canceledAt(ev.Created), 0).UTC()}
		}
	case "checkout.session.completed":
		var cs checkoutSession
		if json.Unmarshal(ev.Data.Object, &cs) == nil && cs.ID != "" {
			var h *tracklane.HintFact
			if h, err = in.sessionHint(ctx, cs); h != nil {
				se.Hints = []tracklane.HintFact{*h}
			}
		}
	case "customer.created", "customer.updated", "payment_intent.succeeded":
		var o objectWithMetadata
		if json.Unmarshal(ev.Data.Object, &o) == nil && o.ID != "" {
			if cid := first(validClickIDs(o.Metadata.ClickID)); cid != "" {
				se.Hints = []tracklane.HintFact{{Keys: []string{o.ID}, Origin: o.ID, ClickID: cid}}
			}
		}
	}
	// An unreadable payload is recorded with nothing to apply; an error is
	// a failed read from Stripe or the store, to be tried again.
	return se, err
}

// invoicePaid reads a paid invoice: its payment, and the charge it names
// (2023-10-16).
func (in *interpreter) invoicePaid(ctx context.Context, ev Event, se *tracklane.StripeEvent) error {
	inv, ok := in.pageParsed[ev.ID]
	if !ok && json.Unmarshal(ev.Data.Object, &inv) != nil {
		return nil
	}
	p := &tracklane.PaymentFact{
		SourceID: inv.ID, CustomerID: string(inv.Customer), Email: inv.email(), Amount: inv.netAmount(),
		Currency: lowerCurrency(inv.Currency), PaidAt: time.Unix(inv.paidAt(), 0).UTC(),
		InvoiceID: inv.ID, ChargeID: string(inv.Charge), SubscriptionID: inv.subscription(),
		PaymentIntentID: string(inv.PaymentIntent), ClickID: first(inv.clickIDs()),
	}
	if err := in.fillEmail(ctx, p); err != nil {
		return err
	}
	codes, err := in.invoicePromotionCodes(ctx, inv)
	if err != nil {
		return err
	}
	p.PromotionCodes = codes
	se.Payment = p
	if inv.Charge != "" {
		se.Charge = &tracklane.ChargeFact{ChargeID: string(inv.Charge), InvoiceID: inv.ID, CustomerID: string(inv.Customer)}
	}
	return nil
}

// charge reads a charge: what is known of it (refunds, its invoice) and,
// for one that belongs to no invoice, its payment.
func (in *interpreter) charge(ctx context.Context, ev Event, se *tracklane.StripeEvent) error {
	ch, err := parseCharge(ev.Data.Object)
	if err != nil {
		return nil
	}
	invoiceID, standalone, err := in.chargeInvoice(ctx, ch)
	if err != nil {
		return err
	}
	se.Charge = &tracklane.ChargeFact{ChargeID: ch.ID, InvoiceID: invoiceID, CustomerID: string(ch.Customer),
		Amount: ch.Amount, Created: time.Unix(ch.Created, 0).UTC(), AmountRefunded: ch.AmountRefunded}
	if !standalone || ch.captured() <= 0 || (ch.Paid != nil && !*ch.Paid) {
		return nil
	}
	p := &tracklane.PaymentFact{
		SourceID: ch.ID, CustomerID: string(ch.Customer), Email: ch.email(), Amount: ch.captured(),
		Currency: lowerCurrency(ch.Currency), PaidAt: time.Unix(ch.Created, 0).UTC(), ChargeID: ch.ID,
		PaymentIntentID: string(ch.PaymentIntent), ClickID: first(validClickIDs(ch.Metadata.ClickID)),
	}
	if err := in.fillEmail(ctx, p); err != nil {
		return err
	}
	se.Payment = p
	return nil
}

// sessionHint reads what a completed Checkout Session says about who
// brought its payments: its client_reference_id or metadata.tracklane_cid,
// and its promotion codes. It speaks for the session's customer or, with
// none, for the payment it made.
func (in *interpreter) sessionHint(ctx context.Context, cs checkoutSession) (*tracklane.HintFact, error) {
	ref := ""
	if cs.ClientReferenceID != nil {
		ref = *cs.ClientReferenceID
	}
	ids, known := cs.promotionCodeIDs()
	if !known {
		if in.client == nil {
			return nil, errNoClient(in.conn.Livemode)
		}
		raw, err := in.client.Get(ctx, in.conn.AccountID, "checkout/sessions/"+cs.ID, "total_details.breakdown")
		if err != nil && !errors.Is(err, errMissing) {
			return nil, err
		}
		var full checkoutSession
		if raw != nil && json.Unmarshal(raw, &full) == nil {
			ids, _ = full.promotionCodeIDs()
		}
	}
	codes, err := in.promotionCodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	h := &tracklane.HintFact{Origin: cs.ID, ClickID: first(validClickIDs(ref, cs.Metadata.ClickID)), PromotionCodes: codes}
	if h.ClickID == "" && len(codes) == 0 {
		return nil, nil
	}
	if cs.Customer != "" {
		h.Keys = []string{string(cs.Customer)}
	} else {
		h.Keys = []string{string(cs.PaymentIntent), string(cs.Invoice), string(cs.Subscription)}
	}
	return h, nil
}

// invoicePromotionCodes returns the promotion codes (folded text) behind an
// invoice's discounts. When the payload does not name them all (several
// discounts, or a newer API version without the discount object), the
// invoice is read from Stripe with its discounts expanded.
func (in *interpreter) invoicePromotionCodes(ctx context.Context, inv invoiceObject) ([]string, error) {
	ids, complete := inv.promotionCodeIDs()
	if !complete {
		if in.client == nil {
			return nil, errNoClient(in.conn.Livemode)
		}
		raw, err := in.client.Get(ctx, in.conn.AccountID, "invoices/"+inv.ID, "discounts")
		if errors.Is(err, errMissing) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var full invoiceObject
		if json.Unmarshal(raw, &full) == nil {
			ids, _ = full.promotionCodeIDs()
		}
	}
	return in.promotionCodes(ctx, ids)
}

// promotionCodes turns promotion code ids into their folded text, from
// this check's memory, the store's cache, or Stripe (once per code ever: a
// code's text never changes). A code Stripe no longer has is left out.
func (in *interpreter) promotionCodes(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		code, ok := in.promoCodes[id]
		if !ok {
			var err error
			if code, ok, err = in.store.PromotionCode(ctx, in.conn.AccountID, in.conn.Livemode, id); err != nil {
				return nil, err
			}
		}
		if !ok {
			if in.client == nil {
				return nil, errNoClient(in.conn.Livemode)
			}
			raw, err := in.client.Get(ctx, in.conn.AccountID, "promotion_codes/"+id)
			if err != nil && !errors.Is(err, errMissing) {
				return nil, err
			}
			var pc promotionCodeObject
			if raw != nil && json.Unmarshal(raw, &pc) == nil {
				code = tracklane.FoldCode(pc.Code)
			}
			if err := in.store.SavePromotionCode(ctx, in.conn.AccountID, in.conn.Livemode, id, code); err != nil {
				return nil, err
			}
		}
		if in.promoCodes == nil {
			in.promoCodes = map[string]string{}
		}
		in.promoCodes[id] = code
		if code != "" {
			out = append(out, code)
		}
	}
	return out, nil
}

// first returns the first of xs, or "".
func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// fillEmail fetches the customer's email when the payload has none and the
// customer is not attributed yet (an attributed customer needs no email).
func (in *interpreter) fillEmail(ctx context.Context, p *tracklane.PaymentFact) error {
	if p.Email != "" || p.CustomerID == "" {
		return nil
	}
	if attributed, err := in.store.CustomerAttributed(ctx, in.conn.AccountID, in.conn.Livemode, p.CustomerID); err != nil || attributed {
		return err
	}
	if email, ok := in.emails[p.CustomerID]; ok {
		p.Email = email
		return nil
	}
	if in.client == nil {
		return errNoClient(in.conn.Livemode)
	}
	raw, err := in.client.Get(ctx, in.conn.AccountID, "customers/"+p.CustomerID)
	if errors.Is(err, errMissing) {
		raw, err = nil, nil // deleted customer: no email to match
	}
	if err != nil {
		return err
	}
	var c customerObject
	if raw != nil && json.Unmarshal(raw, &c) == nil && c.Email != nil {
		p.Email = tracklane.FoldEmail(*c.Email)
	}
	if in.emails == nil {
		in.emails = map[string]string{}
	}
	in.emails[p.CustomerID] = p.Email
	return nil
}

// chargeInvoice tells which invoice a charge paid, and whether it is an
// invoice-less ("standalone") charge. Older API versions say so in the
// charge. For newer ones the answer is what Tracklane already learnt, or
// what Stripe says: the customer's invoices are listed (the answer comes in
// 2023-10-16, where an invoice names the charge that paid it) over a span
// wide enough for dunning retries, once per customer and check. A charge is
// never matched to an invoice by amount or time.
func (in *interpreter) chargeInvoice(ctx context.Context, ch chargeObject) (string, bool, error) {
	if ch.hasInvoice {
		return string(ch.Invoice), ch.Invoice == "", nil
	}
	known, err := in.store.ChargeInvoice(ctx, in.conn.AccountID, in.conn.Livemode, ch.ID)
	if err != nil || known != "" {
		return known, false, err
	}
	if ch.Customer == "" {
		return "", true, nil // invoices always have a customer
	}
	// One list per customer and check: from the dunning span before this
	// charge on, with no upper bound, so the customer's later charges are
	// covered too; an earlier charge (a backfill reads newest first) lists
	// only the span before what is known.
	const day = 24 * 60 * 60
	listed, ok := in.invoices[string(ch.Customer)]
	if !ok || ch.Created-dunningDays*day < listed.from {
		// Reach a month further back than this charge needs: Stripe keeps
		// 30 days of events, so the older charges a backfill (newest first)
		// meets next are covered by the same list.
		from := ch.Created - (dunningDays+31)*day
		if in.client == nil {
			return "", false, errNoClient(in.conn.Livemode)
		}
		to := int64(0)
		if ok {
			to = listed.from - 1
		}
		invs, err := in.client.Invoices(ctx, in.conn.AccountID, string(ch.Customer), from, to)
		if err != nil {
			return "", false, err
		}
		if in.invoices == nil {
			in.invoices = map[string]invoiceWindow{}
		}
		listed = invoiceWindow{from: from, invoices: append(listed.invoices, invs...)}
		in.invoices[string(ch.Customer)] = listed
	}
	for _, inv := range listed.invoices {
		if inv.Charge == ch.ID {
			return inv.ID, false, nil
		}
	}
	return "", !ch.looksInvoiced(), nil
}

// dunningDays is how long before a charge the invoice it pays may have been
// created: Stripe's smart retries span up to a month (eight tries in two
// weeks by default, up to two months at most).
const dunningDays = 62

// invoiceWindow is a customer's invoices listed from a time on.
type invoiceWindow struct {
	from     int64
	invoices []invoiceSummary
}

// notePage parses the page's invoice.paid payloads once, for matching and
// interpreting alike.
func (in *interpreter) notePage(page []Event) {
	in.pageParsed = map[string]invoiceObject{}
	for _, ev := range page {
		if ev.Type != "invoice.paid" {
			continue
		}
		var inv invoiceObject
		if json.Unmarshal(ev.Data.Object, &inv) != nil {
			continue
		}
		in.pageParsed[ev.ID] = inv
	}
}

func lowerCurrency(c string) string { return strings.ToLower(c) }
