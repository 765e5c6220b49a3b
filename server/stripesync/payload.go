package stripesync

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// The structs below read the few fields Tracklane needs from Stripe objects
// as raw JSON, tolerating the 2023-10-16 shape that stripe-go v76 models and
// newer ones (invoice.parent.subscription_details, total_taxes, no
// invoice.charge or charge.invoice). An expandable field may be an id, an
// object with an id, or null: ref reads all three.

// ref is an expandable reference: "id", {"id": …}, or null.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*r = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ref(s)
	case b[0] == '{':
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = ref(o.ID)
	}
	return nil
}

type amountItem struct {
	Amount int64 `json:"amount"`
}

// invoiceObject is an invoice in any API version.
type invoiceObject struct {
	ID              string       `json:"id"`
	Customer        ref          `json:"customer"`
	CustomerEmail   *string      `json:"customer_email"`
	AmountPaid      int64        `json:"amount_paid"`
	Currency        string       `json:"currency"`
	Tax             *int64       `json:"tax"`
	TotalTaxes      []amountItem `json:"total_taxes"`
	TotalTaxAmounts []amountItem `json:"total_tax_amounts"`
	Subscription    ref          `json:"subscription"`
	Charge          ref          `json:"charge"`
	Parent          *struct {
		SubscriptionDetails *struct {
			Subscription ref      `json:"subscription"`
			Metadata     metadata `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
	Lines *struct {
		Data []struct {
			Subscription ref `json:"subscription"`
			Parent       *struct {
				SubscriptionItemDetails *struct {
					Subscription ref `json:"subscription"`
				} `json:"subscription_item_details"`
			} `json:"parent"`
		} `json:"data"`
	} `json:"lines"`
	StatusTransitions *struct {
		PaidAt *int64 `json:"paid_at"`
	} `json:"status_transitions"`
	Created             int64         `json:"created"`
	Livemode            bool          `json:"livemode"`
	Metadata            metadata      `json:"metadata"`
	PaymentIntent       ref           `json:"payment_intent"`
	SubscriptionDetails *withMetadata `json:"subscription_details"`
	Discount            *discount     `json:"discount"`
	Discounts           []discountRef `json:"discounts"`
}

// metadata is an object's metadata; only Tracklane's key is read.
type metadata struct {
	ClickID string `json:"tracklane_cid"`
}

type withMetadata struct {
	Metadata metadata `json:"metadata"`
}

// discount is a Discount object: the promotion code that made it, if any.
type discount struct {
	ID            string `json:"id"`
	PromotionCode ref    `json:"promotion_code"`
}

// discountRef is an entry of an invoice's discounts: a di_… id, or the
// expanded object.
type discountRef struct {
	ID            string
	PromotionCode string
	Expanded      bool
}

func (d *discountRef) UnmarshalJSON(b []byte) error {
	var o discount
	var id ref
	expanded, err := expandable(b, &o, &id)
	if err != nil {
		return err
	}
	d.ID, d.Expanded = string(id), expanded
	if expanded {
		d.ID, d.PromotionCode = o.ID, string(o.PromotionCode)
	}
	return nil
}

// expandable reads an expandable field: the object into obj (expanded),
// or an id or null into id.
func expandable(b []byte, obj any, id *ref) (expanded bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		return true, json.Unmarshal(b, obj)
	}
	return false, id.UnmarshalJSON(b)
}

// clickIDs are the click ids the invoice itself carries: its own metadata,
// then its subscription's (subscription_details, or parent's in newer API
// versions).
func (in invoiceObject) clickIDs() []string {
	ids := []string{in.Metadata.ClickID}
	if in.SubscriptionDetails != nil {
		ids = append(ids, in.SubscriptionDetails.Metadata.ClickID)
	}
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		ids = append(ids, in.Parent.SubscriptionDetails.Metadata.ClickID)
	}
	return validClickIDs(ids...)
}

// promotionCodeIDs returns the ids of the promotion codes behind the
// invoice's discounts, and whether every discount could be read from the
// payload (an unexpanded di_… id names no promotion code).
func (in invoiceObject) promotionCodeIDs() (ids []string, complete bool) {
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	known := map[string]bool{}
	if in.Discount != nil {
		add(string(in.Discount.PromotionCode))
		known[in.Discount.ID] = true
	}
	complete = true
	for _, d := range in.Discounts {
		if d.Expanded {
			add(d.PromotionCode)
		} else if !known[d.ID] {
			complete = false
		}
	}
	return ids, complete
}

// validClickIDs keeps the values that can be click ids at all; anything
// else (garbage, 5 KB of metadata) is dropped here.
func validClickIDs(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if tracklane.ValidClickID(v) {
			out = append(out, v)
		}
	}
	return out
}

// checkoutSession is a completed Checkout Session.
type checkoutSession struct {
	ID                string   `json:"id"`
	ClientReferenceID *string  `json:"client_reference_id"`
	Metadata          metadata `json:"metadata"`
	Customer          ref      `json:"customer"`
	PaymentIntent     ref      `json:"payment_intent"`
	Subscription      ref      `json:"subscription"`
	Invoice           ref      `json:"invoice"`
	// Discounts came with 2025-01-27.acacia; older versions say only how
	// much was discounted, and name the promotion codes in
	// total_details.breakdown when it is expanded.
	Discounts *[]struct {
		PromotionCode ref `json:"promotion_code"`
	} `json:"discounts"`
	TotalDetails *struct {
		AmountDiscount int64 `json:"amount_discount"`
		Breakdown      *struct {
			Discounts []struct {
				Discount discount `json:"discount"`
			} `json:"discounts"`
		} `json:"breakdown"`
	} `json:"total_details"`
}

// promotionCodeIDs returns the ids of the promotion codes the session
// used, and whether the payload could say (an older API version with a
// discount and no breakdown cannot).
func (cs checkoutSession) promotionCodeIDs() (ids []string, known bool) {
	if cs.Discounts != nil {
		for _, d := range *cs.Discounts {
			if d.PromotionCode != "" {
				ids = append(ids, string(d.PromotionCode))
			}
		}
		return ids, true
	}
	if cs.TotalDetails == nil || cs.TotalDetails.AmountDiscount == 0 {
		return nil, true
	}
	if cs.TotalDetails.Breakdown == nil {
		return nil, false
	}
	for _, d := range cs.TotalDetails.Breakdown.Discounts {
		if d.Discount.PromotionCode != "" {
			ids = append(ids, string(d.Discount.PromotionCode))
		}
	}
	return ids, true
}

// objectWithMetadata is a customer or payment intent as far as its
// metadata goes.
type objectWithMetadata struct {
	ID       string   `json:"id"`
	Metadata metadata `json:"metadata"`
}

type promotionCodeObject struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// tax is the invoice's tax: `tax` (2023-10-16) or the sum of total_taxes
// (newer) or of total_tax_amounts.
func (in invoiceObject) tax() int64 {
	if in.Tax != nil {
		return *in.Tax
	}
	var sum int64
	items := in.TotalTaxes
	if len(items) == 0 {
		items = in.TotalTaxAmounts
	}
	for _, t := range items {
		sum += t.Amount
	}
	return sum
}

// netAmount is what was paid excluding tax.
func (in invoiceObject) netAmount() int64 {
	n := in.AmountPaid - in.tax()
	if n < 0 {
		return 0
	}
	return n
}

// subscription finds the invoice's subscription wherever this API version
// puts it.
func (in invoiceObject) subscription() string {
	if in.Subscription != "" {
		return string(in.Subscription)
	}
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil && in.Parent.SubscriptionDetails.Subscription != "" {
		return string(in.Parent.SubscriptionDetails.Subscription)
	}
	if in.Lines != nil {
		for _, l := range in.Lines.Data {
			if l.Subscription != "" {
				return string(l.Subscription)
			}
			if l.Parent != nil && l.Parent.SubscriptionItemDetails != nil && l.Parent.SubscriptionItemDetails.Subscription != "" {
				return string(l.Parent.SubscriptionItemDetails.Subscription)
			}
		}
	}
	return ""
}

// paidAt is when the invoice was paid (else when it was created).
func (in invoiceObject) paidAt() int64 {
	if in.StatusTransitions != nil && in.StatusTransitions.PaidAt != nil && *in.StatusTransitions.PaidAt > 0 {
		return *in.StatusTransitions.PaidAt
	}
	return in.Created
}

func (in invoiceObject) email() string {
	if in.CustomerEmail == nil {
		return ""
	}
	return tracklane.FoldEmail(*in.CustomerEmail)
}

// chargeObject is a charge in any API version. hasInvoice tells whether the
// version names the charge's invoice at all (newer ones do not).
type chargeObject struct {
	ID             string          `json:"id"`
	Customer       ref             `json:"customer"`
	Amount         int64           `json:"amount"`
	AmountCaptured *int64          `json:"amount_captured"`
	AmountRefunded int64           `json:"amount_refunded"`
	Currency       string          `json:"currency"`
	Created        int64           `json:"created"`
	Invoice        ref             `json:"-"`
	RawInvoice     json.RawMessage `json:"invoice"` // nil when the key is absent
	PaymentIntent  ref             `json:"payment_intent"`
	ReceiptEmail   *string         `json:"receipt_email"`
	Description    *string         `json:"description"`
	Paid           *bool           `json:"paid"`
	Captured       *bool           `json:"captured"`
	Status         string          `json:"status"`
	Refunds        *struct {
		Data []refundObject `json:"data"`
	} `json:"refunds"` // absent unless expanded since 2022-11-15
	BillingDetails *struct {
		Email *string `json:"email"`
	} `json:"billing_details"`
	Livemode   bool     `json:"livemode"`
	Metadata   metadata `json:"metadata"`
	hasInvoice bool
}

func parseCharge(raw json.RawMessage) (chargeObject, error) {
	var c chargeObject
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, err
	}
	// A raw field tells an absent key (newer API versions) from null (an
	// invoice-less charge), in the same single pass over the payload.
	c.hasInvoice = c.RawInvoice != nil
	if c.hasInvoice {
		if err := c.Invoice.UnmarshalJSON(c.RawInvoice); err != nil {
			return c, err
		}
	}
	return c, nil
}

// capturedAmount is the amount the charge actually took: nothing while
// it is only authorised (captured false), else amount_captured (amount in
// versions without it).
func (c chargeObject) capturedAmount() int64 {
	if c.Captured != nil && !*c.Captured {
		return 0
	}
	if c.AmountCaptured != nil {
		return *c.AmountCaptured
	}
	return c.Amount
}

// refundFacts are the refunds the charge names, as of the event's time.
func (c chargeObject) refundFacts(at time.Time) []tracklane.RefundFact {
	if c.Refunds == nil {
		return nil
	}
	var out []tracklane.RefundFact
	for _, r := range c.Refunds.Data {
		if r.ID != "" {
			r.Charge = ref(c.ID)
			out = append(out, r.fact(at))
		}
	}
	return out
}

// refundObject is a refund, as charge.refund.updated carries it.
type refundObject struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Charge ref    `json:"charge"`
	Status string `json:"status"`
}

func (r refundObject) fact(at time.Time) tracklane.RefundFact {
	return tracklane.RefundFact{RefundID: r.ID, ChargeID: string(r.Charge), Amount: max(r.Amount, 0), Status: r.Status, At: at}
}

// invoicePaymentObject is an InvoicePayment (invoice_payment.paid, newer
// API versions): the invoice, and the payment intent (or, for a charge
// made without one, the charge) that paid it.
type invoicePaymentObject struct {
	ID      string `json:"id"`
	Invoice ref    `json:"invoice"`
	Status  string `json:"status"`
	Payment struct {
		Type          string `json:"type"`
		PaymentIntent ref    `json:"payment_intent"`
		Charge        ref    `json:"charge"`
	} `json:"payment"`
}

// invoicePaymentFact reads a paid InvoicePayment; nil when the payload is
// not one.
func invoicePaymentFact(raw json.RawMessage) *tracklane.InvoicePaymentFact {
	var ip invoicePaymentObject
	if json.Unmarshal(raw, &ip) != nil || ip.Invoice == "" || (ip.Status != "" && ip.Status != "paid") {
		return nil
	}
	if ip.Payment.PaymentIntent == "" && ip.Payment.Charge == "" {
		return nil
	}
	return &tracklane.InvoicePaymentFact{InvoiceID: string(ip.Invoice),
		PaymentIntentID: string(ip.Payment.PaymentIntent), ChargeID: string(ip.Payment.Charge)}
}

// creditNoteObject is a credit note in any API version: 2023-10-16 names
// one refund (an id, or the object when expanded); newer versions list
// refunds with the amount each gave back, and split the note into its
// pre- and post-payment parts.
type creditNoteObject struct {
	ID                string    `json:"id"`
	Invoice           ref       `json:"invoice"`
	Amount            int64     `json:"amount"`
	Status            string    `json:"status"`
	Type              string    `json:"type"`
	PostPaymentAmount *int64    `json:"post_payment_amount"`
	Refund            refundRef `json:"refund"`
	Refunds           *[]struct {
		AmountRefunded int64 `json:"amount_refunded"`
	} `json:"refunds"`
}

// postPayment is the part of the note issued on the paid invoice (a
// pre-payment note lowered what was paid in the first place).
func (cn creditNoteObject) postPayment() int64 {
	if cn.PostPaymentAmount != nil {
		return max(*cn.PostPaymentAmount, 0)
	}
	if cn.Type == "post_payment" {
		return max(cn.Amount, 0)
	}
	return 0
}

// refunded is the part of the note paid back as a refund, and whether the
// payload says it (a 2023-10-16 note names its refund by id only).
func (cn creditNoteObject) refunded() (int64, bool) {
	if cn.Refunds != nil {
		var n int64
		for _, r := range *cn.Refunds {
			n += max(r.AmountRefunded, 0)
		}
		return n, true
	}
	if cn.Refund.ID == "" {
		return 0, true
	}
	return max(cn.Refund.Amount, 0), cn.Refund.Expanded
}

// refundRef is a credit note's refund: an id, the expanded object, or
// null.
type refundRef struct {
	ID       string
	Amount   int64
	Expanded bool
}

func (r *refundRef) UnmarshalJSON(b []byte) error {
	var o refundObject
	var id ref
	expanded, err := expandable(b, &o, &id)
	if err != nil {
		return err
	}
	r.ID, r.Expanded = string(id), expanded
	if expanded {
		r.ID, r.Amount = o.ID, o.Amount
	}
	return nil
}

func (c chargeObject) email() string {
	if c.BillingDetails != nil && c.BillingDetails.Email != nil && strings.TrimSpace(*c.BillingDetails.Email) != "" {
		return tracklane.FoldEmail(*c.BillingDetails.Email)
	}
	if c.ReceiptEmail != nil {
		return tracklane.FoldEmail(*c.ReceiptEmail)
	}
	return ""
}

type disputeObject struct {
	ID      string `json:"id"`
	Charge  ref    `json:"charge"`
	Status  string `json:"status"`
	Created int64  `json:"created"`
}

type subscriptionObject struct {
	ID         string `json:"id"`
	Customer   ref    `json:"customer"`
	Status     string `json:"status"`
	CanceledAt *int64 `json:"canceled_at"`
	EndedAt    *int64 `json:"ended_at"`
}

// canceledAt is when the subscription was cancelled: canceled_at, else
// ended_at, else the event's time.
func (s subscriptionObject) canceledAt(eventCreated int64) int64 {
	if s.CanceledAt != nil && *s.CanceledAt > 0 {
		return *s.CanceledAt
	}
	if s.EndedAt != nil && *s.EndedAt > 0 {
		return *s.EndedAt
	}
	return eventCreated
}

type customerObject struct {
	ID      string  `json:"id"`
	Email   *string `json:"email"`
	Deleted bool    `json:"deleted"`
}
