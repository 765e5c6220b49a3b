// Package attribution is the rule that turns a connection's Stripe payments
// into conversions: which link wins a payment, which payment is a
// customer's first attributed one, which later payments still earn under
// the recurring rule, and what state each conversion is in. It is a pure
// function of a Snapshot — no SQL, no HTTP, no clock of its own — so every
// story (late link, customer lock, recurring rules, self-referral,
// out-of-order refunds, disputes, cancellations) can be told in a table
// test. The store loads the snapshot and writes the Plan back.
package attribution

import (
	"sort"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Settings are the tenant's rules that attribution applies.
type Settings struct {
	Livemode        bool // the connection's mode: test payments make test conversions
	AttributionDays int  // how long before its first attributed payment a click may be
	HoldDays        int
	Commission      conversion.Rule
	Recurring       conversion.Recurring
}

// Payment is a paid invoice or an invoice-less charge with everything that
// happened to it since.
type Payment struct {
	SourceID       string // invoice id, or the charge id of an invoice-less charge
	CustomerID     string // "" when Stripe named none
	Email          string // folded; "" when unknown
	Amount         int64  // paid excluding tax, minor units
	Currency       string
	PaidAt         time.Time
	InvoiceID      string
	ChargeID       string // its own, or the charge known to have paid its invoice
	SubscriptionID string
	// ClickID is the click id the payment's own metadata carries, and
	// PaymentIntentID its payment intent (which links it to its Checkout
	// Session); the store reads both to gather ClickIDs.
	ClickID         string
	PaymentIntentID string
	// ClickIDs are the click ids carried into Stripe for it (its own
	// metadata, its Checkout Session, its customer, subscription or payment
	// intent); PromotionCodes the promotion codes (folded text) it or its
	// session used. Neither is checked yet: the rule keeps what the tenant
	// knows.
	ClickIDs       []string
	PromotionCodes []string
	Refunded       int64      // cumulative refunds of its charge
	Dispute        string     // Stripe's dispute status, "" for none
	CanceledAt     *time.Time // its subscription's cancellation
	Cause          string     // the Stripe event that brought it up now, "" for none
	// Credited is what its invoice's post-payment credit notes gave back
	// other than by refund.
	Credited int64
}

// Link is a customer email linked to a click (the thank-you page's call).
type Link struct {
	ID          int64
	Email       string
	ClickID     string
	ClickAt     time.Time
	AffiliateID string
	OriginID    string
	Flags       []string // fraud signals the link raised (flags.go)
	// Visitor is the keyed hash of the browser that made the link (the
	// tracker's visitor hash, keyed by the day); nil when the merchant's
	// server made it. Only DecideReported reads it.
	Visitor []byte
}

// Click is what the rule needs of a click of the tenant.
type Click struct {
	ID          string
	AffiliateID string
	CreatedAt   time.Time
}

// Affiliate is what the rule needs of an affiliate.
type Affiliate struct {
	Email      string           // for the self-referral rule
	Commission *conversion.Rule // overrides the tenant's rule when set
}

// Attribution is a customer's lock on an affiliate: set by the customer's
// first attributed payment, kept by every later one.
type Attribution struct {
	Source        tracklane.Source
	Coupon        string // the promotion code, for SourceCoupon
	AffiliateID   string
	ClickID       string
	ExternalCID   string
	OriginID      string
	FirstPaidAt   time.Time
	FirstSourceID string
	Flags         []string // the attributing link's fraud signals
}

// Conversion is a conversion that already exists.
type Conversion struct {
	ID          string
	SourceID    string
	AffiliateID string
	ExternalCID string
	Status      conversion.Status
	Amount      int64
	Commission  int64
	Manual      string
	Rule        conversion.Rule // the rule it was made under
	Flags       []string
}

// Customer is one Stripe customer's payments (or one customer-less
// payment) with what is stored about them.
type Customer struct {
	ID          string       // "" for a payment that names no customer
	Attribution *Attribution // nil when not attributed yet
	Payments    []Payment
	Conversions map[string]Conversion // by SourceID
}

// Snapshot is everything the rule decides from.
type Snapshot struct {
	Settings
	Now        time.Time
	Why        string // why creations not caused by an event happen ("email linked to a click")
	Customers  []Customer
	Links      map[string][]Link // candidate links by email
	Clicks     map[string]Click  // the tenant's clicks among the payments' click ids
	Coupons    map[string]string // the tenant's promotion codes (folded) → affiliate id
	Affiliates map[string]Affiliate
}

// Plan is what should change so that the conversions are what the facts
// say.
type Plan struct {
	// Attributions are customers' new or moved attributions.
	Attributions map[string]Attribution
	Creates      []Create
	Updates      []Update
	// Reattributed lists customers whose attribution is new or moved to an
	// earlier payment: their payments outside the snapshot must be decided
	// again under it.
	Reattributed []string
	// Moved lists those of them that had an attribution before, moved to
	// an earlier payment: their converted payments must be decided again
	// too (a later one may no longer earn). A first attribution has no
	// converted payments to revisit.
	Moved []string
}

// Create is a conversion to make.
type Create struct {
	Payment     Payment
	Attribution Attribution
	ExternalCID string
	Rule        conversion.Rule
	State       conversion.State
	History     string // the history entry's reason
}

// Update is an existing conversion whose state changed.
type Update struct {
	ID      string
	Cause   string // the Stripe event, "" for none
	State   conversion.State
	History string
}

// Window is the attribution window: a click counts for a payment when it
// was made at most days before it. Stripe's times are whole seconds, so a
// click within the payment's second counts as before it.
type Window struct{ Days int }

// Span returns how long before a payment and how long after its time a
// click may be made and still count for it; queries that look for
// candidate links filter with these numbers.
func (w Window) Span() (before, after time.Duration) {
	return time.Duration(w.Days) * 24 * time.Hour, time.Second
}

// Bounds returns the click times [from, to) that count for a payment at
// paidAt.
func (w Window) Bounds(paidAt time.Time) (from, to time.Time) {
	before, after := w.Span()
	return paidAt.Add(-before), paidAt.Add(after)
}

// Covers reports whether a click at clickAt counts for a payment at paidAt.
func (w Window) Covers(clickAt, paidAt time.Time) bool {
	from, to := w.Bounds(paidAt)
	return !clickAt.Before(from) && clickAt.Before(to)
}

// LinkFor returns the link that wins a payment: the newest click within the
// window before it (the later link id breaks a tie).
func (w Window) LinkFor(links []Link, paidAt time.Time) (Link, bool) {
	var best Link
	found := false
	for _, l := range links {
		if !w.Covers(l.ClickAt, paidAt) {
			continue
		}
		if !found || l.ClickAt.After(best.ClickAt) || (l.ClickAt.Equal(best.ClickAt) && l.ID > best.ID) {
			best, found = l, true
		}
	}
	return best, found
}

// Decide returns the plan that brings the snapshot's conversions up to
// date. Each customer's payments are taken in order of payment time:
//   - a payment with a conversion is re-evaluated from its facts; under
//     the recurring rule `first` or `months:N` one that no longer qualifies
//     (an earlier payment became the first) is withdrawn (rejected);
//   - a payment without one is attributed: a link in the window makes it
//     the customer's first attributed payment when the customer has none
//     yet or only a later one (the lock moves to the earlier payment);
//     otherwise the customer's attribution holds, for payments from its
//     first one on, as far as the recurring rule allows;
//   - a conversion is made when an attributed affiliate still exists.
func Decide(s Snapshot) Plan {
	p := Plan{Attributions: map[string]Attribution{}}
	for _, c := range s.Customers {
		s.decideCustomer(&p, c)
	}
	return p
}

func (s Snapshot) decideCustomer(plan *Plan, c Customer) {
	payments := append([]Payment(nil), c.Payments...)
	sort.SliceStable(payments, func(i, j int) bool {
		if !payments[i].PaidAt.Equal(payments[j].PaidAt) {
			return payments[i].PaidAt.Before(payments[j].PaidAt)
		}
		return payments[i].SourceID < payments[j].SourceID
	})
	var at *Attribution
	if c.Attribution != nil {
		a := *c.Attribution
		at = &a
	}
	moved := false
	for _, pay := range payments {
		if conv, ok := c.Conversions[pay.SourceID]; ok {
			s.update(plan, pay, conv, at)
			continue
		}
		if cand, ok := s.candidate(pay); ok && (at == nil || pay.PaidAt.Before(at.FirstPaidAt)) {
			at = &cand
			if c.ID != "" {
				plan.Attributions[c.ID] = *at
				moved = true
			}
		}
		if at == nil || !s.earns(pay, *at) {
			continue
		}
		aff, ok := s.Affiliates[at.AffiliateID]
		if !ok {
			continue // the affiliate was deleted: nobody to credit
		}
		s.create(plan, pay, *at, aff)
	}
	if moved {
		plan.Reattributed = append(plan.Reattributed, c.ID)
		if c.Attribution != nil {
			plan.Moved = append(plan.Moved, c.ID)
		}
	}
}

// candidate is what would attribute a payment on its own, in the order of
// precedence: a promotion code assigned to an affiliate (no click, so no
// window), then a click id of the tenant carried into Stripe, then the
// email link; within a kind, the newest click in the window wins.
func (s Snapshot) candidate(pay Payment) (Attribution, bool) {
	at := Attribution{ExternalCID: pay.Email, FirstPaidAt: pay.PaidAt, FirstSourceID: pay.SourceID}
	for _, code := range pay.PromotionCodes {
		if aff, ok := s.Coupons[code]; ok {
			at.Source, at.Coupon, at.AffiliateID = tracklane.SourceCoupon, code, aff
			return at, true
		}
	}
	window := Window{s.AttributionDays}
	var best Click
	for _, id := range pay.ClickIDs {
		c, ok := s.Clicks[id]
		if !ok || !window.Covers(c.CreatedAt, pay.PaidAt) {
			continue
		}
		if best.ID == "" || c.CreatedAt.After(best.CreatedAt) || (c.CreatedAt.Equal(best.CreatedAt) && c.ID > best.ID) {
			best = c
		}
	}
	if best.ID != "" {
		at.Source, at.ClickID, at.AffiliateID = tracklane.SourceClickID, best.ID, best.AffiliateID
		return at, true
	}
	if l, ok := window.LinkFor(s.Links[pay.Email], pay.PaidAt); ok {
		at.Source, at.ClickID, at.AffiliateID, at.OriginID, at.Flags = tracklane.SourceEmail, l.ClickID, l.AffiliateID, l.OriginID, l.Flags
		return at, true
	}
	return Attribution{}, false
}

// earns reports whether a payment of a customer attributed by at earns
// commission: from the first attributed payment on, as far as the
// recurring rule allows.
func (s Snapshot) earns(pay Payment, at Attribution) bool {
	if pay.PaidAt.Before(at.FirstPaidAt) {
		return false // before the customer's first attributed payment: before its click
	}
	return s.Recurring.Eligible(pay.SourceID == at.FirstSourceID, at.FirstPaidAt, pay.PaidAt)
}

func (s Snapshot) create(plan *Plan, pay Payment, at Attribution, aff Affiliate) {
	rule := s.Commission
	if aff.Commission != nil {
		rule = *aff.Commission
	}
	external := pay.Email
	if external == "" {
		external = at.ExternalCID
	}
	st := conversion.Evaluate(s.facts(pay, external, aff.Email, "", false, at.Flags), rule, s.Now)
	reason := "conversion created"
	if s.Why != "" && pay.Cause == "" {
		reason += " (" + s.Why + ")"
	}
	switch at.Source {
	case tracklane.SourceCoupon:
		reason += ", attributed by promotion code " + strings.ToUpper(at.Coupon)
	case tracklane.SourceClickID:
		reason += ", attributed by the click id carried into Stripe"
	}
	if len(at.Flags) > 0 {
		reason += ", flagged (" + strings.Join(at.Flags, ", ") + ")"
	}
	reason += ": " + st.Reason
	plan.Creates = append(plan.Creates, Create{Payment: pay, Attribution: at, ExternalCID: external, Rule: rule, State: st, History: reason})
}

func (s Snapshot) update(plan *Plan, pay Payment, conv Conversion, at *Attribution) {
	// Only a conversion of the customer's current attribution can fall out
	// of its recurring rule; one made for another affiliate keeps its own.
	withdrawn := at != nil && conv.AffiliateID == at.AffiliateID && !s.earns(pay, *at)
	st := conversion.Evaluate(s.facts(pay, conv.ExternalCID, s.Affiliates[conv.AffiliateID].Email, conv.Manual, withdrawn, conv.Flags), conv.Rule, s.Now)
	if st.Status == conv.Status && st.Amount == conv.Amount && st.Commission == conv.Commission {
		return
	}
	plan.Updates = append(plan.Updates, Update{ID: conv.ID, Cause: pay.Cause, State: st, History: st.Reason})
}

func (s Snapshot) facts(pay Payment, external, affiliateEmail, manual string, withdrawn bool, flags []string) conversion.Facts {
	return conversion.Facts{
		Livemode: s.Livemode, Gross: pay.Amount, Currency: pay.Currency, PaidAt: pay.PaidAt, HoldDays: s.HoldDays,
		Refunded: pay.Refunded, Credited: pay.Credited, Dispute: conversion.DisputeState(pay.Dispute), CanceledAt: pay.CanceledAt, Manual: manual,
		SelfReferral: SelfReferral(external, affiliateEmail), Withdrawn: withdrawn, Flagged: len(flags) > 0,
	}
}
