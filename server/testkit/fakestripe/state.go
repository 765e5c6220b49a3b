package fakestripe

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

type partKey struct {
	account string
	live    bool
}

// partition is the state of one account in one mode.
type partition struct {
	account      string
	live         bool
	objects      map[string]*object
	events       ordered[*event]
	evByID       map[string]*event
	invoices     ordered[*object]
	charges      ordered[*object]
	sessions     ordered[*object] // checkout sessions
	forgetBefore int64            // events created before this unix time are gone
}

type event struct {
	id      string
	typ     string
	created int64
	seq     uint64
	raw     []byte
}

func (e *event) key() (int64, uint64) { return e.created, e.seq }

type object struct {
	id      string
	typ     string // "customer", "invoice", …, "checkout.session"
	live    bool
	created int64
	seq     uint64
	deleted bool
	v       any // *customer, *invoice, …
}

func (o *object) key() (int64, uint64) { return o.created, o.seq }

type keyed interface{ key() (int64, uint64) }

// ordered is a slice kept sorted ascending by (created, seq).
type ordered[T keyed] []T

func less(ac int64, as uint64, bc int64, bs uint64) bool {
	return ac < bc || (ac == bc && as < bs)
}

func (o *ordered[T]) insert(v T) {
	c, q := v.key()
	s := *o
	n := len(s)
	if n == 0 {
		*o = append(s, v)
		return
	}
	if lc, ls := s[n-1].key(); less(lc, ls, c, q) {
		*o = append(s, v)
		return
	}
	i := sort.Search(n, func(i int) bool {
		ic, is := s[i].key()
		return less(c, q, ic, is)
	})
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	*o = s
}

// index returns the position of v (which must be in o).
func (o ordered[T]) index(v T) int {
	c, q := v.key()
	return sort.Search(len(o), func(i int) bool {
		ic, is := o[i].key()
		return !less(ic, is, c, q)
	})
}

// firstAtOrAfter returns the first position whose created is >= t.
func (o ordered[T]) firstAtOrAfter(t int64) int {
	return sort.Search(len(o), func(i int) bool {
		ic, _ := o[i].key()
		return ic >= t
	})
}

// ---------------------------------------------------------------------------
// object state

type customer struct {
	id, email, invoicePrefix, currency string
	created                            int64
	invoices                           int
	metadata                           map[string]string
}

type subscription struct {
	id, customer, item, price, product string
	status, currency, latestInvoice    string
	created, canceledAt, unitAmount    int64
	invoices                           int
	metadata                           map[string]string
	discounts                          []string // di_… ids still applied
}

type invoice struct {
	id, customer, subscription, charge, paymentIntent string
	email, currency, number, line, billingReason      string
	price, product, item, taxRate                     string
	amountPaid, tax, created, paidAt                  int64
	periodStart, periodEnd                            int64
	subtotal                                          int64 // before discounts and tax
	discounts                                         []string
	discountAmounts                                   []int64 // parallel to discounts
	metadata, subMetadata                             map[string]string
}

type charge struct {
	id, customer, invoice, paymentIntent  string
	billingEmail, receiptEmail, currency  string
	description, paymentMethod, balanceTx string
	receiptURL                            string
	amount, refunded, created             int64
	refunds                               []string
	disputed                              bool
	metadata                              map[string]string
	// uncaptured: only authorised (capture_method manual), or released;
	// partial: what a partial capture took (0: all of amount, once
	// captured). See capture.go.
	uncaptured bool
	partial    int64
}

type refund struct {
	id, charge, paymentIntent, currency, balanceTx, customer string
	amount, created                                          int64
	status, failureReason                                    string // status "" = succeeded (refund_status.go)
}

type dispute struct {
	id, charge, paymentIntent, currency, status, balanceTx string
	amount, created                                        int64
}

type paymentIntent struct {
	id, customer, invoice, latestCharge, currency string
	description, receiptEmail, paymentMethod      string
	clientSecret                                  string
	amount, created                               int64
	metadata                                      map[string]string
	manual                                        bool // capture_method manual (capture.go)
}

type checkoutSession struct {
	id, customer, email, clientReferenceID, mode string
	paymentIntent, subscription, invoice         string
	currency, successURL, paymentStatus          string
	amountTotal, created                         int64
	amountDiscount, amountTax                    int64
	metadata                                     map[string]string
	discounts                                    []sessionDiscount
}

// sessionDiscount is one entry of a Checkout Session's discounts.
type sessionDiscount struct{ coupon, promotionCode string }

// ---------------------------------------------------------------------------
// helpers (all with s.mu held)

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randID returns prefix followed by n random base-62 characters.
func (s *Server) randID(prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = idAlphabet[s.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// newID is randID, unique among the ids this server handed out.
func (s *Server) newID(prefix string, n int) string {
	for {
		id := s.randID(prefix, n)
		if _, dup := s.used[id]; !dup {
			s.used[id] = struct{}{}
			return id
		}
	}
}

func (s *Server) id(prefix string) string { return s.newID(prefix, 24) }

func (s *Server) nextSeq() uint64 {
	s.seq++
	return s.seq
}

func (s *Server) part(account string, live bool) *partition {
	k := partKey{account, live}
	p := s.parts[k]
	if p == nil {
		p = &partition{
			account: account,
			live:    live,
			objects: map[string]*object{},
			evByID:  map[string]*event{},
		}
		s.parts[k] = p
	}
	return p
}

// find looks id up in both modes of account.
func (s *Server) find(account, id, typ string) (*partition, *object) {
	for _, live := range []bool{false, true} {
		if p := s.parts[partKey{account, live}]; p != nil {
			if o := p.objects[id]; o != nil && (typ == "" || o.typ == typ) {
				return p, o
			}
		}
	}
	panic(fmt.Sprintf("fakestripe: account %q has no %s %q", account, orAny(typ), id))
}

func orAny(t string) string {
	if t == "" {
		return "object"
	}
	return t
}

// mustGet returns object id of type typ in p, panicking if absent.
func mustGet(p *partition, id, typ string) *object {
	o := p.objects[id]
	if o == nil || o.typ != typ {
		mode := "test"
		if p.live {
			mode = "live"
		}
		panic(fmt.Sprintf("fakestripe: account %q has no %s %q in %s mode", p.account, typ, id, mode))
	}
	return o
}

func (s *Server) add(p *partition, typ, id string, at time.Time, v any) *object {
	o := &object{id: id, typ: typ, live: p.live, created: at.Unix(), seq: s.nextSeq(), v: v}
	p.objects[id] = o
	switch typ {
	case "invoice":
		p.invoices.insert(o)
	case "charge":
		p.charges.insert(o)
	case "checkout.session":
		p.sessions.insert(o)
	}
	return o
}

// emit appends an event whose data.object is a snapshot of o rendered now.
func (s *Server) emit(p *partition, typ string, at time.Time, o *object, prev map[string]any, apiRequest bool) string {
	sh := s.shapes[p.account]
	data := map[string]any{"object": s.render(p, o, sh)}
	if prev != nil {
		data["previous_attributes"] = prev
	}
	req := map[string]any{"id": nil, "idempotency_key": nil}
	if apiRequest {
		req["id"] = s.randID("req_", 14)
		req["idempotency_key"] = s.uuid()
	}
	e := &event{id: s.id("evt_"), typ: typ, created: at.Unix(), seq: s.nextSeq()}
	env := map[string]any{
		"id":               e.id,
		"object":           "event",
		"api_version":      sh.APIVersion(),
		"created":          e.created,
		"data":             data,
		"livemode":         p.live,
		"pending_webhooks": 1,
		"request":          req,
		"type":             typ,
	}
	if s.rendersAccount(p.account) {
		env["account"] = p.account
	}
	raw, err := json.Marshal(env)
	if err != nil {
		panic("fakestripe: " + err.Error())
	}
	e.raw = raw
	p.events.insert(e)
	p.evByID[e.id] = e
	return e.id
}

func (s *Server) uuid() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[s.rng.IntN(16)]
		}
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// story builders

// CreateCustomer creates a customer with email in account (in live or test
// mode) at time at, emits customer.created and returns the cus_… id.
func (s *Server) CreateCustomer(account string, livemode bool, email string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.part(account, livemode)
	o := s.newCustomer(p, email, at)
	s.emit(p, "customer.created", at, o, nil, true)
	return o.id
}

// newCustomer adds a customer without an event.
func (s *Server) newCustomer(p *partition, email string, at time.Time) *object {
	c := &customer{id: s.id("cus_"), email: email, created: at.Unix(), invoicePrefix: strings.ToUpper(s.newID("", 8))}
	return s.add(p, "customer", c.id, at, c)
}

// UpdateCustomerEmail changes a customer's email and emits customer.updated
// with previous_attributes.email.
func (s *Server) UpdateCustomerEmail(account, customerID, email string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, customerID, "customer")
	c := o.v.(*customer)
	old := c.email
	c.email = email
	var prev any
	if old != "" {
		prev = old
	}
	s.emit(p, "customer.updated", at, o, map[string]any{"email": prev}, true)
}

// CreateSubscription creates an active monthly subscription (one item, price
// 2000 usd) for customerID, emits customer.subscription.created and returns
// the sub_… id.
func (s *Server) CreateSubscription(account string, livemode bool, customerID string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.part(account, livemode)
	mustGet(p, customerID, "customer")
	o := s.newSubscription(p, customerID, "usd", 2000, at)
	s.emit(p, "customer.subscription.created", at, o, nil, true)
	return o.id
}

// newSubscription adds an active monthly subscription without an event.
func (s *Server) newSubscription(p *partition, customerID, currency string, unitAmount int64, at time.Time) *object {
	sub := &subscription{
		id: s.id("sub_"), customer: customerID, item: s.newID("si_", 14),
		price: s.id("price_"), product: s.newID("prod_", 14),
		status: "active", currency: currency, created: at.Unix(), unitAmount: unitAmount,
	}
	return s.add(p, "subscription", sub.id, at, sub)
}

// InvoiceParams describes a paid invoice for PayInvoice.
type InvoiceParams struct {
	// Customer is the cus_… id (required; must exist in the account and mode).
	Customer string
	// Subscription is the sub_… id the invoice bills ("" for a one-off
	// invoice).
	Subscription string
	// CustomerEmail is the invoice's customer_email; "" means the
	// customer's current email.
	CustomerEmail string
	// AmountPaid is what was paid, tax included and discounts deducted, in
	// the minor unit. 0 makes a zero-amount invoice without charge.
	AmountPaid int64
	// Tax is the tax included in AmountPaid (0: no tax).
	Tax int64
	// Currency is a lower-case ISO code (default "usd").
	Currency string
	// PromotionCodes are promo_… ids redeemed on this invoice, in order.
	// Each makes a discount (di_…) with its coupon and promotion code: on a
	// one-off invoice discount.invoice is the invoice; on a subscription's
	// invoice the discount is the subscription's (discount.subscription)
	// and later invoices of the subscription carry it too while the
	// coupon's duration lasts ("once": this invoice only). A promotion code
	// the subscription already carries is not redeemed again. The
	// subtotal before discounts is worked back from AmountPaid - Tax (a
	// 100%-off coupon, which cannot be worked back, takes off the
	// subscription's price, or nothing on a one-off invoice).
	PromotionCodes []string
	// Metadata is the invoice's metadata (nil → {}).
	Metadata map[string]string
	// At is when the invoice was created and paid.
	At time.Time
	// PaidAt, when set, is when it was paid instead (a dunning retry days
	// after At): its charge and the invoice.paid event are of that time.
	PaidAt time.Time
}

// PayInvoice creates a paid invoice (with its payment intent and charge when
// AmountPaid > 0) and emits charge.succeeded, invoice.paid and
// invoice.payment_succeeded (only invoice.paid when AmountPaid is 0). It
// returns the in_… id and the ch_… id ("" without charge).
func (s *Server) PayInvoice(account string, livemode bool, p InvoiceParams) (invoiceID, chargeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.payInvoice(s.part(account, livemode), p, "PayInvoice")
	return inv.id, inv.charge
}

func (s *Server) payInvoice(pt *partition, p InvoiceParams, who string) *invoice {
	co := mustGet(pt, p.Customer, "customer")
	cust := co.v.(*customer)
	cur := p.Currency
	if cur == "" {
		cur = "usd"
	}
	email := p.CustomerEmail
	if email == "" {
		email = cust.email
	}
	if p.Tax < 0 || p.AmountPaid < 0 || p.Tax > p.AmountPaid {
		panic(fmt.Sprintf("fakestripe: %s: bad amounts paid=%d tax=%d", who, p.AmountPaid, p.Tax))
	}
	// misuse panics before anything changes
	given := map[string]bool{}
	for _, id := range p.PromotionCodes {
		if given[id] {
			panic(fmt.Sprintf("fakestripe: %s: promotion code %s given twice", who, id))
		}
		given[id] = true
		if _, c := promoCoupon(pt, id, who); c.amountOff > 0 && c.currency != cur {
			panic(fmt.Sprintf("fakestripe: %s: coupon %s is in %s, the invoice in %s", who, c.id, c.currency, cur))
		}
	}
	if p.Subscription != "" {
		if sub := mustGet(pt, p.Subscription, "subscription").v.(*subscription); sub.customer != p.Customer {
			panic(fmt.Sprintf("fakestripe: %s: subscription %s belongs to %s, not %s", who, sub.id, sub.customer, p.Customer))
		}
	}
	at := p.At
	paidAt := at // a dunning retry pays days after the invoice was made
	if !p.PaidAt.IsZero() {
		paidAt = p.PaidAt
	}
	cust.invoices++
	if cust.currency == "" {
		cust.currency = cur
	}
	inv := &invoice{
		id: s.id("in_"), customer: p.Customer, subscription: p.Subscription,
		email: email, currency: cur, amountPaid: p.AmountPaid, tax: p.Tax,
		created: at.Unix(), number: fmt.Sprintf("%s-%04d", cust.invoicePrefix, cust.invoices),
		line: s.id("il_"), billingReason: "manual",
		periodStart: at.Unix(), periodEnd: at.Unix(), metadata: copyMetadata(p.Metadata),
	}
	if p.Tax > 0 {
		inv.taxRate = s.id("txr_")
	}
	var sub *subscription
	if p.Subscription != "" {
		sub = pt.objects[p.Subscription].v.(*subscription)
		sub.invoices++
		if sub.invoices == 1 {
			inv.billingReason = "subscription_create"
		} else {
			inv.billingReason = "subscription_cycle"
		}
		sub.latestInvoice = inv.id
		inv.price, inv.product, inv.item = sub.price, sub.product, sub.item
		inv.periodEnd = at.AddDate(0, 1, 0).Unix()
		inv.subMetadata = copyMetadata(sub.metadata)
	} else {
		inv.price, inv.product, inv.item = s.id("price_"), s.newID("prod_", 14), s.id("ii_")
	}
	s.applyDiscounts(pt, inv, sub, p.PromotionCodes, at, who)

	var chObj *object
	if p.AmountPaid > 0 {
		pi := &paymentIntent{
			id: s.id("pi_"), customer: p.Customer, invoice: inv.id, currency: cur,
			amount: p.AmountPaid, created: paidAt.Unix(), paymentMethod: s.id("pm_"),
		}
		pi.clientSecret = pi.id + "_secret_" + s.newID("", 25)
		ch := &charge{
			id: s.id("ch_"), customer: p.Customer, invoice: inv.id, paymentIntent: pi.id,
			billingEmail: email, currency: cur, amount: p.AmountPaid, created: paidAt.Unix(),
			paymentMethod: pi.paymentMethod, balanceTx: s.id("txn_"),
		}
		switch inv.billingReason {
		case "subscription_create":
			ch.description = "Subscription creation"
		case "subscription_cycle":
			ch.description = "Subscription update"
		default:
			ch.description = "Payment for Invoice"
		}
		pi.description = ch.description
		ch.receiptURL = "https://pay.stripe.com/receipts/invoices/" + s.newID("", 40)
		pi.latestCharge = ch.id
		inv.paymentIntent, inv.charge = pi.id, ch.id
		s.add(pt, "payment_intent", pi.id, paidAt, pi)
		chObj = s.add(pt, "charge", ch.id, paidAt, ch)
	}
	inv.paidAt = paidAt.Unix()
	io := s.add(pt, "invoice", inv.id, at, inv)
	if chObj != nil {
		s.emit(pt, "charge.succeeded", paidAt, chObj, nil, false)
	}
	s.emit(pt, "invoice.paid", paidAt, io, nil, false)
	if chObj != nil {
		s.emit(pt, "invoice.payment_succeeded", paidAt, io, nil, false)
		s.emitInvoicePayment(pt, inv, paidAt)
	}
	return inv
}

// applyDiscounts sets inv's discounts — those sub still carries, then one
// per promotion code redeemed now (the subscription's when there is one) —
// and the subtotal they were taken from. After this invoice, sub keeps its
// discounts but the "once" ones; a repeating one ends with its coupon's
// duration.
func (s *Server) applyDiscounts(pt *partition, inv *invoice, sub *subscription, promos []string, at time.Time, who string) {
	var ds []*discount
	carried := map[string]bool{} // promotion codes sub carries
	if sub != nil {
		var kept []string
		for _, id := range sub.discounts {
			d := pt.objects[id].v.(*discount)
			if d.end != 0 && at.Unix() >= d.end {
				continue
			}
			ds = append(ds, d)
			carried[d.promotionCode] = true
			if !d.once {
				kept = append(kept, id)
			}
		}
		sub.discounts = kept
	}
	for _, id := range promos { // checked by payInvoice
		pc, c := promoCoupon(pt, id, who)
		if carried[id] {
			continue
		}
		d := s.newDiscount(pt, pc, c, inv.customer, at)
		if sub != nil {
			d.subscription = sub.id
			if !d.once {
				sub.discounts = append(sub.discounts, d.id)
			}
		} else {
			d.invoice = inv.id
		}
		ds = append(ds, d)
	}
	coupons := make([]*coupon, len(ds))
	for i, d := range ds {
		coupons[i] = pt.objects[d.coupon].v.(*coupon)
		inv.discounts = append(inv.discounts, d.id)
	}
	var fallback int64
	if sub != nil {
		fallback = sub.unitAmount
	}
	inv.subtotal, inv.discountAmounts = discountSplit(inv.amountPaid-inv.tax, fallback, coupons)
}

// ChargeParams describes a charge that belongs to no invoice, for Charge.
type ChargeParams struct {
	// Customer is the cus_… id ("" for a guest payment).
	Customer string
	// BillingEmail is billing_details.email ("" → null).
	BillingEmail string
	// ReceiptEmail is receipt_email ("" → null).
	ReceiptEmail string
	// Amount charged and captured, in the minor unit (must be > 0).
	Amount int64
	// Currency is a lower-case ISO code (default "usd").
	Currency string
	// Metadata of the payment intent, copied to the charge as Stripe does
	// (nil → {}).
	Metadata map[string]string
	// At is when the charge succeeded.
	At time.Time
}

// Charge creates a succeeded charge (with its payment intent) that belongs to
// no invoice, emits charge.succeeded and returns the ch_… id.
func (s *Server) Charge(account string, livemode bool, p ChargeParams) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	o := s.standaloneCharge(pt, p, "Charge")
	s.emit(pt, "charge.succeeded", p.At, o, nil, true)
	return o.id
}

// standaloneCharge checks p and adds its charge and payment intent,
// without an event.
func (s *Server) standaloneCharge(pt *partition, p ChargeParams, who string) *object {
	if p.Customer != "" {
		c := mustGet(pt, p.Customer, "customer").v.(*customer)
		if c.currency == "" {
			c.currency = p.Currency
		}
	}
	if p.Amount <= 0 {
		panic("fakestripe: " + who + ": amount must be > 0")
	}
	cur := p.Currency
	if cur == "" {
		cur = "usd"
	}
	return s.newCharge(pt, p, cur)
}

// newCharge adds an invoice-less charge and its payment intent, without an
// event.
func (s *Server) newCharge(pt *partition, p ChargeParams, cur string) *object {
	at := p.At
	pi := &paymentIntent{
		id: s.id("pi_"), customer: p.Customer, currency: cur, amount: p.Amount,
		created: at.Unix(), receiptEmail: p.ReceiptEmail, paymentMethod: s.id("pm_"),
		metadata: copyMetadata(p.Metadata),
	}
	pi.clientSecret = pi.id + "_secret_" + s.newID("", 25)
	ch := &charge{
		id: s.id("ch_"), customer: p.Customer, paymentIntent: pi.id,
		billingEmail: p.BillingEmail, receiptEmail: p.ReceiptEmail,
		currency: cur, amount: p.Amount, created: at.Unix(),
		paymentMethod: pi.paymentMethod, balanceTx: s.id("txn_"),
		receiptURL: "https://pay.stripe.com/receipts/payment/" + s.newID("", 40),
		metadata:   copyMetadata(p.Metadata),
	}
	pi.latestCharge = ch.id
	s.add(pt, "payment_intent", pi.id, at, pi)
	return s.add(pt, "charge", ch.id, at, ch)
}

// PaymentIntentOf returns the pi_… id of a charge of account (either mode).
func (s *Server) PaymentIntentOf(account, chargeID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, o := s.find(account, chargeID, "charge")
	return o.v.(*charge).paymentIntent
}

// SetMetadata updates the metadata of a customer, subscription, payment
// intent, invoice, charge, Checkout Session, coupon or promotion code of
// account (either mode) as Stripe's update does: keys of md are set, a key
// set to "" is removed, others stay. No event is emitted; GETs and the
// snapshots of later events show it (an invoice keeps in
// subscription_details.metadata its subscription's metadata when it was
// made).
func (s *Server) SetMetadata(account, id string, md map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, o := s.find(account, id, "")
	var dst *map[string]string
	switch v := o.v.(type) {
	case *customer:
		dst = &v.metadata
	case *subscription:
		dst = &v.metadata
	case *paymentIntent:
		dst = &v.metadata
	case *invoice:
		dst = &v.metadata
	case *charge:
		dst = &v.metadata
	case *checkoutSession:
		dst = &v.metadata
	case *coupon:
		dst = &v.metadata
	case *promotionCode:
		dst = &v.metadata
	default:
		panic(fmt.Sprintf("fakestripe: SetMetadata: %s %s has no metadata here", o.typ, id))
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	for k, v := range md {
		if v == "" {
			delete(*dst, k)
		} else {
			(*dst)[k] = v
		}
	}
}

func copyMetadata(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[k] = v
	}
	return out
}

// Refund refunds amount of a charge (amount <= 0 refunds what is left),
// updating amount_refunded, refunded (true once fully refunded) and the
// refunds list, emits charge.refunded (data.object = the charge,
// previous_attributes with the old amount_refunded/refunded) then
// refund.created, and returns the re_… id.
func (s *Server) Refund(account, chargeID string, amount int64, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, chargeID, "charge")
	ch := o.v.(*charge)
	left := ch.amount - ch.refunded
	if amount <= 0 {
		amount = left
	}
	if amount <= 0 || amount > left {
		panic(fmt.Sprintf("fakestripe: Refund: charge %s has %d left to refund, asked %d", chargeID, left, amount))
	}
	re := &refund{id: s.id("re_"), charge: ch.id, paymentIntent: ch.paymentIntent, customer: ch.customer,
		currency: ch.currency, amount: amount, created: at.Unix(), balanceTx: s.id("txn_")}
	ro := s.add(p, "refund", re.id, at, re)
	prev := map[string]any{"amount_refunded": ch.refunded}
	wasRefunded := ch.refunded == ch.amount
	prevRefunds := make([]any, 0, len(ch.refunds))
	for _, id := range ch.refunds {
		prevRefunds = append(prevRefunds, renderRefund(p.objects[id], s.shapes[p.account]))
	}
	ch.refunded += amount
	ch.refunds = append([]string{re.id}, ch.refunds...)
	if (ch.refunded == ch.amount) != wasRefunded {
		prev["refunded"] = wasRefunded
	}
	prev["refunds"] = map[string]any{"object": "list", "data": prevRefunds, "has_more": false,
		"total_count": len(prevRefunds), "url": "/v1/charges/" + ch.id + "/refunds"}
	s.emit(p, "charge.refunded", at, o, prev, true)
	s.emit(p, "refund.created", at, ro, nil, true)
	return re.id
}

// CancelSubscription cancels a subscription now (status canceled,
// canceled_at and ended_at = at) and emits customer.subscription.deleted.
func (s *Server) CancelSubscription(account, subscriptionID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, subscriptionID, "subscription")
	sub := o.v.(*subscription)
	sub.status = "canceled"
	sub.canceledAt = at.Unix()
	s.emit(p, "customer.subscription.deleted", at, o, nil, true)
}

// CreateDispute opens a dispute (status needs_response, amount = the
// charge's amount) on a charge, sets charge.disputed, emits
// charge.dispute.created and returns the dp_… id.
func (s *Server) CreateDispute(account, chargeID string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, chargeID, "charge")
	ch := o.v.(*charge)
	ch.disputed = true
	d := &dispute{id: s.id("dp_"), charge: ch.id, paymentIntent: ch.paymentIntent,
		currency: ch.currency, status: "needs_response", amount: ch.amount,
		created: at.Unix(), balanceTx: s.id("txn_")}
	do := s.add(p, "dispute", d.id, at, d)
	s.emit(p, "charge.dispute.created", at, do, nil, false)
	return d.id
}

// CloseDispute closes a dispute with status "won", "lost" or
// "warning_closed" and emits charge.dispute.closed
// (previous_attributes.status = the old status).
func (s *Server) CloseDispute(account, disputeID, status string, at time.Time) {
	switch status {
	case "won", "lost", "warning_closed":
	default:
		panic(fmt.Sprintf("fakestripe: CloseDispute: status %q is not won, lost or warning_closed", status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, disputeID, "dispute")
	d := o.v.(*dispute)
	old := d.status
	d.status = status
	s.emit(p, "charge.dispute.closed", at, o, map[string]any{"status": old}, false)
}

// CheckoutParams describes a completed Checkout Session, for CompleteCheckout.
type CheckoutParams struct {
	// Customer is the cus_… id ("" for none).
	Customer string
	// CustomerEmail is customer_details.email.
	CustomerEmail string
	// ClientReferenceID is client_reference_id ("" → null).
	ClientReferenceID string
	// Mode is "payment" (default) or "subscription".
	Mode string
	// PaymentIntent, Subscription and Invoice are the ids the session made
	// (each "" → null).
	PaymentIntent, Subscription, Invoice string
	// AmountTotal and Currency (default "usd") of the session.
	AmountTotal int64
	Currency    string
	// Metadata of the session (nil → {}).
	Metadata map[string]string
	// PromotionCode is the promo_… id the customer entered ("" for none):
	// the session gets discounts [{coupon, promotion_code}] (in the newer
	// shape only: the field came with 2025-01-27.acacia) and
	// total_details.amount_discount, worked back from AmountTotal. The
	// promotion code's redemption is not counted here (CheckoutPayment and
	// CheckoutSubscription count it).
	PromotionCode string
	// At is when the session was created and completed.
	At time.Time
}

// CompleteCheckout creates a complete, paid Checkout Session, emits
// checkout.session.completed and returns the cs_… id (readable with
// GET /v1/checkout/sessions/{id}).
func (s *Server) CompleteCheckout(account string, livemode bool, p CheckoutParams) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	o := s.newSession(pt, p)
	s.emit(pt, "checkout.session.completed", p.At, o, nil, false)
	return o.id
}

// newSession adds a complete, paid Checkout Session without an event.
func (s *Server) newSession(pt *partition, p CheckoutParams) *object {
	mode := p.Mode
	if mode == "" {
		mode = "payment"
	}
	cur := p.Currency
	if cur == "" {
		cur = "usd"
	}
	prefix := "cs_test_"
	if pt.live {
		prefix = "cs_live_"
	}
	cs := &checkoutSession{
		id: s.newID(prefix, 58), customer: p.Customer, email: p.CustomerEmail,
		clientReferenceID: p.ClientReferenceID, mode: mode, paymentIntent: p.PaymentIntent,
		subscription: p.Subscription, invoice: p.Invoice, currency: cur,
		successURL: "https://example.com/success", amountTotal: p.AmountTotal,
		created: p.At.Unix(), metadata: copyMetadata(p.Metadata), paymentStatus: "paid",
	}
	if p.PromotionCode != "" {
		pc, c := promoCoupon(pt, p.PromotionCode, "CompleteCheckout")
		cs.discounts = []sessionDiscount{{coupon: c.id, promotionCode: pc.id}}
		_, amounts := discountSplit(p.AmountTotal, 0, []*coupon{c})
		cs.amountDiscount = amounts[0]
	}
	return s.add(pt, "checkout.session", cs.id, p.At, cs)
}

// DeleteObject makes any object of account (both modes) unreadable: later
// GETs answer 404 resource_missing and lists skip it. Its events stay.
func (s *Server) DeleteObject(account, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, o := s.find(account, id, "")
	o.deleted = true
}

// ForgetEventsBefore drops, in both modes of account, the events created
// before t, as Stripe does after 30 days: they are no longer listed, GET
// /v1/events/{id} answers 404, and using one as a list cursor answers 400.
// (Event still returns them, e.g. to deliver an old webhook.)
func (s *Server) ForgetEventsBefore(account string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, live := range []bool{false, true} {
		p := s.part(account, live)
		if u := t.Unix(); u > p.forgetBefore {
			p.forgetBefore = u
		}
	}
}

// Events returns the events of account (both modes merged) that GET
// /v1/events still lists, newest first, exactly as it renders them. The
// returned slices are copies.
func (s *Server) Events(account string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*event
	for _, live := range []bool{false, true} {
		if p := s.parts[partKey{account, live}]; p != nil {
			all = append(all, p.events[p.events.firstAtOrAfter(p.forgetBefore):]...)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		ic, is := all[i].key()
		jc, js := all[j].key()
		return less(jc, js, ic, is)
	})
	out := make([]json.RawMessage, len(all))
	for i, e := range all {
		out[i] = append(json.RawMessage(nil), e.raw...)
	}
	return out
}

// Event returns the JSON of one event of account (either mode), e.g. to
// deliver as a webhook body, or nil if there is none. Forgotten events are
// still returned.
func (s *Server) Event(account, id string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, live := range []bool{false, true} {
		if p := s.parts[partKey{account, live}]; p != nil {
			if e := p.evByID[id]; e != nil {
				return append(json.RawMessage(nil), e.raw...)
			}
		}
	}
	return nil
}

// EventCount returns how many events of account (both modes) GET /v1/events
// still lists.
func (s *Server) EventCount(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, live := range []bool{false, true} {
		if p := s.parts[partKey{account, live}]; p != nil {
			n += len(p.events) - p.events.firstAtOrAfter(p.forgetBefore)
		}
	}
	return n
}
