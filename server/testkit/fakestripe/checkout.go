package fakestripe

import (
	"fmt"
	"time"
)

// CheckoutPaymentParams describes a payment-mode Checkout Session paid with
// a card, for CheckoutPayment.
type CheckoutPaymentParams struct {
	// Customer is an existing cus_… id ("" for a guest: the session, payment
	// intent and charge have no customer).
	Customer string
	// CustomerEmail is the session's customer_details.email and the
	// charge's billing_details.email ("" → none).
	CustomerEmail string
	// ClientReferenceID is the session's client_reference_id ("" → null).
	ClientReferenceID string
	// Metadata is the session's metadata (nil → {}).
	Metadata map[string]string
	// PaymentIntentMetadata is payment_intent_data.metadata: the payment
	// intent's metadata, which its charge copies (nil → {}).
	PaymentIntentMetadata map[string]string
	// PromotionCode is the promo_… id the customer entered ("" for none):
	// the session's discounts (newer shape) and total_details, a redemption
	// of the code and its coupon, and a discount whose checkout_session is
	// the session.
	PromotionCode string
	// Amount is amount_total, what was paid after the discount, in the
	// minor unit. 0 (a 100%-off code) makes no payment intent nor charge:
	// payment_status no_payment_required.
	Amount int64
	// Currency is a lower-case ISO code (default "usd").
	Currency string
	// At is when the session was completed and paid.
	At time.Time
}

// CheckoutPayment plays a payment-mode Checkout Session: a charge that
// belongs to no invoice (with its payment intent, named by the session's
// payment_intent) and the complete session. It emits charge.succeeded then
// checkout.session.completed, in Stripe's order, and returns the cs_… and
// ch_… ids ("" without charge).
func (s *Server) CheckoutPayment(account string, livemode bool, p CheckoutPaymentParams) (sessionID, chargeID string) {
	if p.Amount < 0 {
		panic(fmt.Sprintf("fakestripe: CheckoutPayment: amount %d", p.Amount))
	}
	cur := p.Currency
	if cur == "" {
		cur = "usd"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	if p.Customer != "" {
		if c := mustGet(pt, p.Customer, "customer").v.(*customer); c.currency == "" {
			c.currency = cur
		}
	}
	var pc *promotionCode
	var cpn *coupon
	if p.PromotionCode != "" {
		pc, cpn = promoCoupon(pt, p.PromotionCode, "CheckoutPayment")
		if cpn.amountOff > 0 && cpn.currency != cur {
			panic(fmt.Sprintf("fakestripe: CheckoutPayment: coupon %s is in %s, the session in %s", cpn.id, cpn.currency, cur))
		}
	}
	var chObj *object
	var piID string
	if p.Amount > 0 {
		chObj = s.newCharge(pt, ChargeParams{Customer: p.Customer, BillingEmail: p.CustomerEmail,
			Amount: p.Amount, Currency: cur, Metadata: p.PaymentIntentMetadata, At: p.At}, cur)
		piID = chObj.v.(*charge).paymentIntent
		chargeID = chObj.id
	}
	so := s.newSession(pt, CheckoutParams{Customer: p.Customer, CustomerEmail: p.CustomerEmail,
		ClientReferenceID: p.ClientReferenceID, Mode: "payment", PaymentIntent: piID,
		AmountTotal: p.Amount, Currency: cur, Metadata: p.Metadata, PromotionCode: p.PromotionCode, At: p.At})
	cs := so.v.(*checkoutSession)
	if p.Amount == 0 {
		cs.paymentStatus = "no_payment_required"
	}
	if pc != nil {
		s.newDiscount(pt, pc, cpn, p.Customer, p.At).checkoutSess = cs.id
	}
	if chObj != nil {
		s.emit(pt, "charge.succeeded", p.At, chObj, nil, false)
	}
	s.emit(pt, "checkout.session.completed", p.At, so, nil, false)
	return cs.id, chargeID
}

// CheckoutSubscriptionParams describes a subscription-mode Checkout
// Session, for CheckoutSubscription.
type CheckoutSubscriptionParams struct {
	// Customer is an existing cus_… id; "" makes Checkout create one with
	// CustomerEmail (customer.created).
	Customer string
	// CustomerEmail is the session's customer_details.email ("" → the
	// customer's email).
	CustomerEmail string
	// ClientReferenceID is the session's client_reference_id ("" → null).
	ClientReferenceID string
	// Metadata is the session's metadata (nil → {}).
	Metadata map[string]string
	// SubscriptionMetadata is subscription_data.metadata: the
	// subscription's metadata, and so its invoices'
	// subscription_details.metadata (nil → {}).
	SubscriptionMetadata map[string]string
	// PromotionCode is the promo_… id the customer entered ("" for none): a
	// discount on the subscription (in its first invoice's discounts, and
	// later invoices' while the coupon's duration lasts) and the session's
	// discounts (newer shape) and total_details.amount_discount.
	PromotionCode string
	// AmountPaid is what the first invoice charged, tax included and
	// discount deducted (0: no charge). The subscription's monthly price is
	// the subtotal before the discount.
	AmountPaid int64
	// Tax is the tax included in AmountPaid.
	Tax int64
	// Currency is a lower-case ISO code (default "usd").
	Currency string
	// At is when the session was completed and the first invoice paid.
	At time.Time
}

// CheckoutSubscription plays a subscription-mode Checkout Session: the
// customer (unless given), an active monthly subscription, its first paid
// invoice (subscription_create) with its payment intent and charge, and the
// complete session naming the customer, subscription and invoice
// (payment_intent null, as Stripe has it in subscription mode). Events, in
// Stripe's order: customer.created (new customer only),
// customer.subscription.created, charge.succeeded (if AmountPaid > 0),
// invoice.paid, invoice.payment_succeeded (if charged),
// checkout.session.completed. It returns the cs_…, in_… and ch_… ids ("" without
// charge).
func (s *Server) CheckoutSubscription(account string, livemode bool, p CheckoutSubscriptionParams) (sessionID, invoiceID, chargeID string) {
	if p.Tax < 0 || p.AmountPaid < 0 || p.Tax > p.AmountPaid {
		panic(fmt.Sprintf("fakestripe: CheckoutSubscription: bad amounts paid=%d tax=%d", p.AmountPaid, p.Tax))
	}
	cur := p.Currency
	if cur == "" {
		cur = "usd"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	at := p.At
	var pc *promotionCode
	var cpns []*coupon
	if p.PromotionCode != "" {
		var c *coupon
		pc, c = promoCoupon(pt, p.PromotionCode, "CheckoutSubscription")
		if c.amountOff > 0 && c.currency != cur {
			panic(fmt.Sprintf("fakestripe: CheckoutSubscription: coupon %s is in %s, the session in %s", c.id, c.currency, cur))
		}
		cpns = append(cpns, c)
	}
	cusID, email := p.Customer, p.CustomerEmail
	if cusID == "" {
		o := s.newCustomer(pt, email, at)
		s.emit(pt, "customer.created", at, o, nil, false)
		cusID = o.id
	} else if email == "" {
		email = mustGet(pt, cusID, "customer").v.(*customer).email
	} else {
		mustGet(pt, cusID, "customer")
	}
	price, _ := discountSplit(p.AmountPaid-p.Tax, 2000, cpns)
	so := s.newSubscription(pt, cusID, cur, price, at)
	sub := so.v.(*subscription)
	sub.metadata = copyMetadata(p.SubscriptionMetadata)
	var promos []string
	if pc != nil {
		d := s.newDiscount(pt, pc, cpns[0], cusID, at)
		d.subscription = sub.id
		sub.discounts = []string{d.id}
		promos = []string{pc.id}
	}
	s.emit(pt, "customer.subscription.created", at, so, nil, false)
	inv := s.payInvoice(pt, InvoiceParams{Customer: cusID, Subscription: sub.id, CustomerEmail: email,
		AmountPaid: p.AmountPaid, Tax: p.Tax, Currency: cur, PromotionCodes: promos, At: at}, "CheckoutSubscription")
	cso := s.newSession(pt, CheckoutParams{Customer: cusID, CustomerEmail: email,
		ClientReferenceID: p.ClientReferenceID, Mode: "subscription", Subscription: sub.id, Invoice: inv.id,
		AmountTotal: p.AmountPaid, Currency: cur, Metadata: p.Metadata, PromotionCode: p.PromotionCode, At: at})
	cs := cso.v.(*checkoutSession)
	cs.amountTax = p.Tax
	cs.amountDiscount = 0
	for _, a := range inv.discountAmounts {
		cs.amountDiscount += a
	}
	if p.AmountPaid == 0 {
		cs.paymentStatus = "no_payment_required"
	}
	s.emit(pt, "checkout.session.completed", at, cso, nil, false)
	return cs.id, inv.id, inv.charge
}
