package fakestripe

import (
	"fmt"
	"time"
)

// Charges authorised now and captured later (capture_method=manual): the
// charge is created uncaptured (captured false, amount_captured 0), then
// captured — all of it or part, the rest released as a refund, as Stripe
// does — or released without ever being captured.

// AuthorizeCharge creates a charge that belongs to no invoice, authorised
// but not captured (its payment intent has capture_method manual), emits
// charge.succeeded with captured false and returns the ch_… id.
func (s *Server) AuthorizeCharge(account string, livemode bool, p ChargeParams) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	o := s.standaloneCharge(pt, p, "AuthorizeCharge")
	ch := o.v.(*charge)
	ch.uncaptured = true
	pt.objects[ch.paymentIntent].v.(*paymentIntent).manual = true
	s.emit(pt, "charge.succeeded", p.At, o, nil, true)
	return o.id
}

// CaptureCharge captures amount of an authorised charge (amount <= 0: all
// of it) and emits charge.captured. A partial capture releases the rest as
// a refund (amount_refunded grows by it), as Stripe does.
func (s *Server) CaptureCharge(account, chargeID string, amount int64, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o, ch := s.authorisation(account, chargeID, "CaptureCharge")
	if amount <= 0 {
		amount = ch.amount
	}
	if amount > ch.amount {
		panic(fmt.Sprintf("fakestripe: CaptureCharge: %d is more than the %d authorised", amount, ch.amount))
	}
	ch.uncaptured = false
	prev := map[string]any{"captured": false, "amount_captured": 0}
	if amount < ch.amount {
		ch.partial = amount
		s.release(p, ch, ch.amount-amount, at)
		prev["amount_refunded"] = 0
	}
	s.emit(p, "charge.captured", at, o, prev, true)
}

// authorisation finds a charge that is only authorised; s.mu held.
func (s *Server) authorisation(account, chargeID, who string) (*partition, *object, *charge) {
	p, o := s.find(account, chargeID, "charge")
	ch := o.v.(*charge)
	if !ch.uncaptured || ch.refunded > 0 {
		panic(fmt.Sprintf("fakestripe: %s: charge %s is not an uncaptured authorisation", who, chargeID))
	}
	return p, o, ch
}

// release gives back amount of an authorisation, as a refund.
func (s *Server) release(p *partition, ch *charge, amount int64, at time.Time) {
	re := &refund{id: s.id("re_"), charge: ch.id, paymentIntent: ch.paymentIntent, customer: ch.customer,
		currency: ch.currency, amount: amount, created: at.Unix(), balanceTx: s.id("txn_")}
	s.add(p, "refund", re.id, at, re)
	ch.refunded += amount
	ch.refunds = append([]string{re.id}, ch.refunds...)
}

// ReleaseAuthorization cancels an uncaptured charge's payment intent: the
// authorisation is released (amount_refunded = amount, refunded true,
// captured still false) and charge.refunded is emitted. It is never
// captured.
func (s *Server) ReleaseAuthorization(account, chargeID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o, ch := s.authorisation(account, chargeID, "ReleaseAuthorization")
	s.release(p, ch, ch.amount, at)
	s.emit(p, "charge.refunded", at, o, map[string]any{"amount_refunded": 0, "refunded": false}, true)
}

// amountCaptured is what a charge took: nothing while only authorised (or
// released), the partial capture, or all of it.
func amountCaptured(ch *charge) int64 {
	switch {
	case ch.uncaptured:
		return 0
	case ch.partial > 0:
		return ch.partial
	}
	return ch.amount
}

func captureMethod(pi *paymentIntent) string {
	if pi.manual {
		return "manual"
	}
	return "automatic"
}
