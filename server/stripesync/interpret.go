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
// customer is not attributed yet, a credit note's refund in 2023-10-16, or
// — for newer API versions, where a charge no longer names its invoice and
// no invoice_payment.paid event nor the store says which it paid — the
// invoice a charge paid.
type interpreter struct {
	client *Client
	store  Store
	conn   tracklane.StripeConnection
	// deferUnlinked: a captured newer-shape charge whose invoice nothing
	// known yet names is not interpreted now (errDeferred). Webhooks leave
	// it to the next check, which reads the events around it (its
	// invoice_payment.paid comes a moment later) before asking Stripe.
	deferUnlinked bool

	emails      map[string]string           // customer → email, per check
	invoices    map[string][]invoiceSummary // customer → every invoice, listed once per check
	pageParsed  map[string]invoiceObject    // the page's invoice.paid payloads, by event id, parsed once
	pageCharges map[string]chargeObject     // the page's charge payloads, by event id, parsed once
	promoCodes  map[string]string           // promotion code id → folded text, per check
	links       tracklane.ChargeLinks       // what this check knows of charges' invoices
	asked       map[string]bool             // charges the store was asked about, per check
}

// errDeferred: the event is left to the next check (see deferUnlinked).
var errDeferred = errors.New("left to the next check: which invoice the charge paid is not known yet")

func (in *interpreter) interpret(ctx context.Context, ev Event) (tracklane.StripeEvent, error) {
	se := tracklane.StripeEvent{ID: ev.ID, Type: ev.Type, Created: time.Unix(ev.Created, 0).UTC(), Livemode: ev.Livemode}
	var err error
	switch ev.Type {
	case "invoice.paid":
		err = in.invoicePaid(ctx, ev, &se)
	case "charge.succeeded", "charge.captured", "charge.refunded":
		err = in.charge(ctx, ev, &se)
	case "charge.refund.updated":
		var r refundObject
		if json.Unmarshal(ev.Data.Object, &r) == nil && r.ID != "" && r.Charge != "" {
			se.Refunds = []tracklane.RefundFact{r.fact(se.Created)}
			se.Charge = &tracklane.ChargeFact{ChargeID: string(r.Charge)} // brings its payment up
		}
	case "invoice_payment.paid":
		if se.InvoicePayment = invoicePaymentFact(ev.Data.Object); se.InvoicePayment != nil {
			in.learnInvoicePayment(*se.InvoicePayment)
		}
	case "credit_note.created", "credit_note.voided":
		err = in.creditNote(ctx, ev, &se)
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

// charge reads a charge: what is known of it (refunds, capture, its
// invoice) and, for a captured one that belongs to no invoice, its
// payment. A charge only authorised (captured later, or never) makes no
// payment, and needs no invoice: it took no money. A refund of a newer-shape
// charge whose invoice is not known yet asks Stripe nothing: the event
// that captured the charge says (a backfill reads it later, a forward read
// or a webhook read it before), and the store joins the refund to the
// invoice by the payment intent.
func (in *interpreter) charge(ctx context.Context, ev Event, se *tracklane.StripeEvent) error {
	ch, ok := in.pageCharges[ev.ID]
	if !ok {
		var err error
		if ch, err = parseCharge(ev.Data.Object); err != nil {
			return nil
		}
	}
	captured := ch.capturedAmount()
	took := captured > 0 && (ch.Paid == nil || *ch.Paid)
	invoiceID, standalone := string(ch.Invoice), false
	if took {
		var err error
		if invoiceID, standalone, err = in.chargeInvoice(ctx, ch, ev.Type != "charge.refunded"); err != nil {
			return err
		}
	}
	se.Charge = &tracklane.ChargeFact{ChargeID: ch.ID, InvoiceID: invoiceID, CustomerID: string(ch.Customer),
		Amount: ch.Amount, Created: time.Unix(ch.Created, 0).UTC(), AmountRefunded: ch.AmountRefunded,
		PaymentIntentID: string(ch.PaymentIntent), AmountCaptured: &captured}
	se.Refunds = ch.refundFacts(se.Created)
	if !took || !standalone {
		return nil
	}
	// The charge's own time, whichever event says it (charge.succeeded,
	// charge.captured, charge.refunded): the same payment either way.
	p := &tracklane.PaymentFact{
		SourceID: ch.ID, CustomerID: string(ch.Customer), Email: ch.email(), Amount: captured,
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

// chargeInvoice tells which invoice a captured charge paid, and whether it
// is an invoice-less ("standalone") charge. Older API versions say so in
// the charge. For newer ones the answer is what this check or the store
// already knows (invoice_payment.paid names the payment intent an invoice
// was paid with), else — a charge with no customer pays no invoice — what
// Stripe says: the customer's invoices are listed, once per check, and
// the answer comes in 2023-10-16, where each names the charge that paid
// it. A charge is never matched to an invoice by amount, date or
// description. Unless ask, an unknown link stays unknown ("", false).
func (in *interpreter) chargeInvoice(ctx context.Context, ch chargeObject, ask bool) (string, bool, error) {
	if ch.hasInvoice {
		return string(ch.Invoice), ch.Invoice == "", nil
	}
	if err := in.lookUpLinks(ctx, []chargeObject{ch}); err != nil {
		return "", false, err
	}
	if inv, ok := in.links.Charges[ch.ID]; ok {
		return inv, inv == "", nil
	}
	if inv, ok := in.links.PaymentIntents[string(ch.PaymentIntent)]; ok && ch.PaymentIntent != "" {
		return inv, false, nil
	}
	if ch.Customer == "" {
		return "", true, nil // invoices always have a customer
	}
	if !ask {
		return "", false, nil
	}
	if in.deferUnlinked {
		return "", false, errDeferred
	}
	invs, ok := in.invoices[string(ch.Customer)]
	if !ok {
		if in.client == nil {
			return "", false, errNoClient(in.conn.Livemode)
		}
		var err error
		if invs, err = in.client.Invoices(ctx, in.conn.AccountID, string(ch.Customer), 0, 0); err != nil {
			return "", false, err
		}
		if in.invoices == nil {
			in.invoices = map[string][]invoiceSummary{}
		}
		in.invoices[string(ch.Customer)] = invs
	}
	inv := ""
	for _, i := range invs {
		if i.Charge == ch.ID {
			inv = i.ID
		}
	}
	in.learnCharge(ch.ID, inv)
	return inv, inv == "", nil
}

// lookUpLinks asks the store, in one query, what it knows of the
// invoices of the newer-shape charges this check does not know yet.
func (in *interpreter) lookUpLinks(ctx context.Context, charges []chargeObject) error {
	var ids, intents []string
	for _, ch := range charges {
		if ch.hasInvoice || in.asked[ch.ID] {
			continue
		}
		if _, ok := in.links.Charges[ch.ID]; ok {
			continue
		}
		if _, ok := in.links.PaymentIntents[string(ch.PaymentIntent)]; ok && ch.PaymentIntent != "" {
			continue
		}
		ids = append(ids, ch.ID)
		if ch.PaymentIntent != "" {
			intents = append(intents, string(ch.PaymentIntent))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	known, err := in.store.ChargeLinks(ctx, in.conn.AccountID, in.conn.Livemode, ids, intents)
	if err != nil {
		return err
	}
	if in.asked == nil {
		in.asked = map[string]bool{}
	}
	for _, id := range ids {
		in.asked[id] = true // what the store does not know, it will not know later in the check
	}
	for id, inv := range known.Charges {
		in.learnCharge(id, inv)
	}
	for pi, inv := range known.PaymentIntents {
		in.learnInvoicePayment(tracklane.InvoicePaymentFact{InvoiceID: inv, PaymentIntentID: pi})
	}
	return nil
}

// learnCharge remembers, for this check, the invoice a charge paid (""
// for none).
func (in *interpreter) learnCharge(charge, invoice string) {
	if in.links.Charges == nil {
		in.links.Charges = map[string]string{}
	}
	if prev, ok := in.links.Charges[charge]; !ok || prev == "" {
		in.links.Charges[charge] = invoice
	}
}

// learnInvoicePayment remembers, for this check, which invoice a payment
// intent (or a charge made without one) paid.
func (in *interpreter) learnInvoicePayment(p tracklane.InvoicePaymentFact) {
	if p.PaymentIntentID != "" {
		if in.links.PaymentIntents == nil {
			in.links.PaymentIntents = map[string]string{}
		}
		in.links.PaymentIntents[p.PaymentIntentID] = p.InvoiceID
	}
	if p.ChargeID != "" {
		in.learnCharge(p.ChargeID, p.InvoiceID)
	}
}

// notePage prepares a page: its invoice.paid and charge payloads parsed
// once (for matching and interpreting alike), the invoice_payment.paid
// events of the page and of the page read ahead learnt (a charge's comes
// right after it), and what the store knows of the page's charges asked
// in one query.
func (in *interpreter) notePage(ctx context.Context, page, ahead []Event) error {
	in.pageParsed = map[string]invoiceObject{}
	in.pageCharges = map[string]chargeObject{}
	var charges []chargeObject
	for _, ev := range page {
		switch ev.Type {
		case "invoice.paid":
			var inv invoiceObject
			if json.Unmarshal(ev.Data.Object, &inv) == nil {
				in.pageParsed[ev.ID] = inv
			}
		case "charge.succeeded", "charge.captured", "charge.refunded":
			if ch, err := parseCharge(ev.Data.Object); err == nil {
				in.pageCharges[ev.ID] = ch
				if ch.capturedAmount() > 0 {
					charges = append(charges, ch)
				}
			}
		}
	}
	for _, evs := range [][]Event{page, ahead} {
		for _, ev := range evs {
			if ev.Type != "invoice_payment.paid" {
				continue
			}
			if p := invoicePaymentFact(ev.Data.Object); p != nil {
				in.learnInvoicePayment(*p)
			}
		}
	}
	return in.lookUpLinks(ctx, charges)
}

func lowerCurrency(c string) string { return strings.ToLower(c) }
