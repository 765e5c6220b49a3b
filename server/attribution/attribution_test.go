package attribution

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

// world is a tenant's stored state, folded from plans as the store would
// write them, so stories can be told as facts arriving one after another.
type world struct {
	settings   Settings
	now        time.Time
	payments   map[string]Payment // by source
	links      []Link
	clicks     map[string]Click
	coupons    map[string]string
	affiliates map[string]Affiliate
	attrs      map[string]Attribution
	convs      map[string]Conversion // by source
	history    map[string][]string   // by source: "status: reason"
	nextID     int
	cause      string // the source whose event is being applied
}

func newWorld() *world {
	return &world{
		settings: Settings{Livemode: true, AttributionDays: 30, HoldDays: 30, Commission: conversion.DefaultRule, Recurring: conversion.DefaultRecurring},
		now:      day(1), payments: map[string]Payment{}, attrs: map[string]Attribution{}, convs: map[string]Conversion{},
		history: map[string][]string{}, clicks: map[string]Click{}, coupons: map[string]string{},
		affiliates: map[string]Affiliate{
			"af_a": {Email: "a@partner.example"},
			"af_b": {Email: "b@partner.example"},
		},
	}
}

// link links email to a click of affiliate at clickAt.
func (w *world) link(email, affiliate string, clickAt time.Time) {
	w.links = append(w.links, Link{ID: int64(len(w.links) + 1), Email: email, ClickID: fmt.Sprintf("ck_%d", len(w.links)+1),
		ClickAt: clickAt, AffiliateID: affiliate, OriginID: "or_default"})
}

// pay records a payment (or new facts about it) and decides it, as the
// store does for one event: the payment first, then the customer's other
// payments when the plan says the customer was (re)attributed.
func (w *world) pay(p Payment) {
	p.Cause = ""
	w.payments[p.SourceID] = p
	w.cause = p.SourceID
	w.decide([]string{p.SourceID}, "")
	w.cause = ""
}

// update changes the facts of a stored payment and decides it again.
func (w *world) update(source string, change func(*Payment)) {
	p := w.payments[source]
	change(&p)
	w.pay(p)
}

func (w *world) decide(sources []string, why string) {
	done := map[string]bool{}
	for round := 0; len(sources) > 0 && round < 5; round++ {
		plan := Decide(w.snapshot(sources, why))
		w.apply(plan)
		for _, s := range sources {
			done[s] = true
		}
		sources = nil
		for _, c := range plan.Reattributed {
			moved := slices.Contains(plan.Moved, c)
			for src, p := range w.payments {
				if _, converted := w.convs[src]; p.CustomerID == c && !done[src] && (!converted || moved) {
					sources = append(sources, src)
				}
			}
		}
		sort.Strings(sources)
		why = "customer attributed"
	}
}

func (w *world) snapshot(sources []string, why string) Snapshot {
	s := Snapshot{Settings: w.settings, Now: w.now, Why: why, Links: map[string][]Link{}, Affiliates: w.affiliates,
		Clicks: w.clicks, Coupons: w.coupons}
	byCustomer := map[string]int{}
	for _, src := range sources {
		p := w.payments[src]
		if src == w.cause {
			p.Cause = "evt_" + src
		}
		i, ok := byCustomer[p.CustomerID]
		if !ok || p.CustomerID == "" {
			i = len(s.Customers)
			c := Customer{ID: p.CustomerID, Conversions: map[string]Conversion{}}
			if at, ok := w.attrs[p.CustomerID]; ok && p.CustomerID != "" {
				c.Attribution = &at
			}
			s.Customers = append(s.Customers, c)
			byCustomer[p.CustomerID] = i
		}
		s.Customers[i].Payments = append(s.Customers[i].Payments, p)
		if c, ok := w.convs[src]; ok {
			s.Customers[i].Conversions[src] = c
		}
	}
	for _, l := range w.links {
		s.Links[l.Email] = append(s.Links[l.Email], l)
	}
	return s
}

func (w *world) apply(plan Plan) {
	for c, at := range plan.Attributions {
		w.attrs[c] = at
	}
	for _, c := range plan.Creates {
		w.nextID++
		w.convs[c.Payment.SourceID] = Conversion{ID: fmt.Sprintf("cv_%d", w.nextID), SourceID: c.Payment.SourceID,
			AffiliateID: c.Attribution.AffiliateID, ExternalCID: c.ExternalCID, Status: c.State.Status, Amount: c.State.Amount,
			Commission: c.State.Commission, Rule: c.Rule, Flags: c.Attribution.Flags}
		w.history[c.Payment.SourceID] = append(w.history[c.Payment.SourceID], string(c.State.Status)+": "+c.History)
	}
	for _, u := range plan.Updates {
		for src, c := range w.convs {
			if c.ID == u.ID {
				c.Status, c.Amount, c.Commission = u.State.Status, u.State.Amount, u.State.Commission
				w.convs[src] = c
				w.history[src] = append(w.history[src], string(u.State.Status)+": "+u.History)
			}
		}
	}
}

// state renders the conversions that stand as "source affiliate status
// amount commission", sorted. A conversion withdrawn by the recurring rule
// stays a rejected row with its history, but it exists only when the later
// payment arrived first, so the order-independence property compares the
// conversions that stand.
func (w *world) state() string {
	var out []string
	for src, c := range w.convs {
		if h := w.history[src]; strings.Contains(h[len(h)-1], "withdrawn") {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %d %d", src, c.AffiliateID, c.Status, c.Amount, c.Commission))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// click records a click of affiliate at clickAt.
func (w *world) click(id, affiliate string, at time.Time) {
	w.clicks[id] = Click{ID: id, AffiliateID: affiliate, CreatedAt: at}
}

// with returns p carrying click ids and promotion codes.
func with(p Payment, clickIDs []string, codes ...string) Payment {
	p.ClickIDs, p.PromotionCodes = clickIDs, codes
	return p
}

func invoice(src, customer, email string, amount int64, at time.Time) Payment {
	return Payment{SourceID: src, CustomerID: customer, Email: email, Amount: amount, Currency: "usd", PaidAt: at,
		InvoiceID: src, SubscriptionID: "sub_" + customer}
}

func TestStories(t *testing.T) {
	canceled := day(12)
	for _, tc := range []struct {
		name     string
		story    func(w *world)
		want     string
		withdraw string // a conversion that must stand withdrawn (rejected)
	}{
		{"payment after the link makes a pending conversion", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a pending 5000 1000", ""},
		{"no link, no conversion", func(w *world) {
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "", ""},
		{"late link: the payment waits, then converts", func(w *world) {
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.link("c@x.example", "af_a", day(0))
			w.decide([]string{"in_1"}, "email linked to a click")
		}, "in_1 af_a pending 5000 1000", ""},
		{"a click after the payment does not count", func(w *world) {
			w.link("c@x.example", "af_a", day(2))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "", ""},
		{"a click in the payment's second counts", func(w *world) {
			w.link("c@x.example", "af_a", day(1).Add(500*time.Millisecond))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a pending 5000 1000", ""},
		{"a click older than the window does not count", func(w *world) {
			w.link("c@x.example", "af_a", day(-31))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(0)))
		}, "", ""},
		{"the newest click in the window wins", func(w *world) {
			w.link("c@x.example", "af_a", day(-5))
			w.link("c@x.example", "af_b", day(-2))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(0)))
		}, "in_1 af_b pending 5000 1000", ""},
		{"customer lock: later payments keep the first affiliate whatever the email or new links", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.link("other@x.example", "af_b", day(40))
			w.pay(invoice("in_2", "cus_1", "other@x.example", 5000, day(41)))
			w.pay(invoice("in_3", "cus_1", "", 5000, day(90)))
		}, "in_1 af_a pending 5000 1000; in_2 af_a pending 5000 1000; in_3 af_a pending 5000 1000", ""},
		{"recurring first: only the first payment earns", func(w *world) {
			w.settings.Recurring = conversion.Recurring{Kind: "first"}
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(31)))
		}, "in_1 af_a pending 5000 1000", ""},
		{"recurring months:2: payments within two months of the first earn", func(w *world) {
			w.settings.Recurring = conversion.Recurring{Kind: "months", Months: 2}
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(1).AddDate(0, 1, 0)))
			w.pay(invoice("in_3", "cus_1", "c@x.example", 5000, day(1).AddDate(0, 2, 0)))
		}, "in_1 af_a pending 5000 1000; in_2 af_a pending 5000 1000", ""},
		{"recurring first: a late earlier payment takes over and the later one is withdrawn", func(w *world) {
			w.settings.Recurring = conversion.Recurring{Kind: "first"}
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 4000, day(20)))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a pending 5000 1000", "in_2"},
		{"recurring months:1: a late earlier payment withdraws a later one beyond a month", func(w *world) {
			w.settings.Recurring = conversion.Recurring{Kind: "months", Months: 1}
			w.link("c@x.example", "af_a", day(0))
			w.link("c@x.example", "af_a", day(40))
			w.pay(invoice("in_3", "cus_1", "c@x.example", 3000, day(45)))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a pending 5000 1000", "in_3"},
		{"a payment before the customer's first attributed one earns nothing", func(w *world) {
			w.link("c@x.example", "af_a", day(10))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(11)))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_2 af_a pending 5000 1000", ""},
		{"self-referral is rejected", func(w *world) {
			w.link("a@partner.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "a@partner.example", 5000, day(1)))
		}, "in_1 af_a rejected 5000 1000", ""},
		{"a refund before its payment is applied when the payment arrives", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			p := invoice("in_1", "cus_1", "c@x.example", 5000, day(1))
			p.Refunded = 2000
			w.pay(p)
		}, "in_1 af_a pending 3000 600", ""},
		{"full refund", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.update("in_1", func(p *Payment) { p.Refunded = 5000 })
		}, "in_1 af_a refunded 0 0", ""},
		{"open dispute, then won", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.update("in_1", func(p *Payment) { p.Dispute = "needs_response" })
			if got := w.convs["in_1"].Status; got != conversion.Disputed {
				panic("not disputed: " + got)
			}
			w.update("in_1", func(p *Payment) { p.Dispute = "won" })
		}, "in_1 af_a pending 5000 1000", ""},
		{"lost dispute", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
			w.update("in_1", func(p *Payment) { p.Dispute = "lost" })
		}, "in_1 af_a refunded 0 0", ""},
		{"cancellation by canceled_at: only conversions still in their hold are cancelled", func(w *world) {
			w.link("c@x.example", "af_a", day(-41))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(-40)))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(10)))
			w.update("in_1", func(p *Payment) { p.CanceledAt = &canceled })
			w.update("in_2", func(p *Payment) { p.CanceledAt = &canceled })
		}, "in_1 af_a approved 5000 1000; in_2 af_a cancelled 5000 1000", ""},
		{"hold period ended: approved", func(w *world) {
			w.link("c@x.example", "af_a", day(-40))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(-35)))
		}, "in_1 af_a approved 5000 1000", ""},
		{"test mode makes test conversions", func(w *world) {
			w.settings.Livemode = false
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a test 5000 1000", ""},
		{"a deleted affiliate earns nothing", func(w *world) {
			w.link("c@x.example", "af_gone", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "", ""},
		{"the affiliate's own rule overrides the tenant's", func(w *world) {
			w.affiliates["af_a"] = Affiliate{Email: "a@partner.example", Commission: &conversion.Rule{Type: conversion.Fixed, Fixed: 700, Currency: "usd"}}
			w.link("c@x.example", "af_a", day(0))
			w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
		}, "in_1 af_a pending 5000 700", ""},
		{"a promotion code attributes with no click at all", func(w *world) {
			w.coupons["spring25"] = "af_b"
			w.pay(with(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)), nil, "spring25"))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(200)))
		}, "in_1 af_b pending 5000 1000; in_2 af_b pending 5000 1000", ""},
		{"precedence: promotion code, then click id, then email link", func(w *world) {
			w.coupons["spring25"] = "af_b"
			w.link("c@x.example", "af_a", day(0))
			w.click("ck_x", "af_a", day(0))
			w.pay(with(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)), []string{"ck_x"}, "other", "spring25"))
		}, "in_1 af_b pending 5000 1000", ""},
		{"a click id beats the email link", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.click("ck_b", "af_b", day(-1))
			w.pay(with(invoice("in_1", "", "c@x.example", 5000, day(1)), []string{"ck_b"}))
		}, "in_1 af_b pending 5000 1000", ""},
		{"a click id of another tenant, garbage, or out of the window is ignored", func(w *world) {
			w.click("ck_old", "af_b", day(-40))
			w.link("c@x.example", "af_a", day(0))
			w.pay(with(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)), []string{"ck_other_tenant", "<script>", "ck_old"}, "unknown"))
		}, "in_1 af_a pending 5000 1000", ""},
		{"a coupon customer is locked like any other", func(w *world) {
			w.coupons["spring25"] = "af_b"
			w.pay(with(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)), nil, "spring25"))
			w.link("c@x.example", "af_a", day(2))
			w.pay(invoice("in_2", "cus_1", "c@x.example", 5000, day(3)))
		}, "in_1 af_b pending 5000 1000; in_2 af_b pending 5000 1000", ""},
		{"self-referral holds for a coupon", func(w *world) {
			w.coupons["spring25"] = "af_b"
			w.pay(with(invoice("in_1", "cus_1", "b@partner.example", 5000, day(1)), nil, "spring25"))
		}, "in_1 af_b rejected 5000 1000", ""},
		{"customer-less charges are attributed each on its own", func(w *world) {
			w.link("c@x.example", "af_a", day(0))
			w.pay(Payment{SourceID: "ch_1", Email: "c@x.example", Amount: 2500, Currency: "eur", PaidAt: day(1), ChargeID: "ch_1"})
			w.pay(Payment{SourceID: "ch_2", Email: "", Amount: 2500, Currency: "eur", PaidAt: day(2), ChargeID: "ch_2"})
		}, "ch_1 af_a pending 2500 500", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			tc.story(w)
			if got := w.state(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if tc.withdraw != "" {
				if c, ok := w.convs[tc.withdraw]; !ok || c.Status != conversion.Rejected {
					t.Errorf("%s: %+v, want it withdrawn", tc.withdraw, c)
				}
			}
		})
	}
}

func TestHistoryEntries(t *testing.T) {
	w := newWorld()
	w.settings.Recurring = conversion.Recurring{Kind: "first"}
	w.pay(invoice("in_2", "cus_1", "c@x.example", 4000, day(31)))
	w.link("c@x.example", "af_a", day(30))
	w.decide([]string{"in_2"}, "email linked to a click")
	w.link("c@x.example", "af_a", day(0))
	w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
	want := []string{
		"pending: conversion created (email linked to a click): payment received",
		"rejected: withdrawn by the recurring rule: an earlier payment is the customer's first attributed one",
	}
	if got := w.history["in_2"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history of in_2: %q", got)
	}
	if got := w.history["in_1"]; len(got) != 1 || got[0] != "pending: conversion created: payment received" {
		t.Errorf("history of in_1: %q", got)
	}
}

func TestSourceInHistory(t *testing.T) {
	w := newWorld()
	w.coupons["spring25"] = "af_b"
	w.pay(with(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)), nil, "spring25"))
	w.click("ck_a", "af_a", day(0))
	w.pay(with(invoice("in_9", "cus_9", "d@x.example", 5000, day(1)), []string{"ck_a"}))
	if got := w.history["in_1"]; len(got) != 1 || got[0] != "pending: conversion created, attributed by promotion code SPRING25: payment received" {
		t.Errorf("history of in_1: %q", got)
	}
	if got := w.history["in_9"]; len(got) != 1 || got[0] != "pending: conversion created, attributed by the click id carried into Stripe: payment received" {
		t.Errorf("history of in_9: %q", got)
	}
	if at := w.attrs["cus_1"]; at.Source != tracklane.SourceCoupon || at.Coupon != "spring25" || at.ClickID != "" {
		t.Errorf("attribution %+v", at)
	}
}

func TestWindow(t *testing.T) {
	w := Window{Days: 30}
	paid := day(0)
	for _, tc := range []struct {
		click time.Time
		want  bool
	}{
		{paid.AddDate(0, 0, -30), true},
		{paid.AddDate(0, 0, -30).Add(-time.Nanosecond), false},
		{paid, true},
		{paid.Add(999 * time.Millisecond), true},
		{paid.Add(time.Second), false},
	} {
		if got := w.Covers(tc.click, paid); got != tc.want {
			t.Errorf("Covers(%s) = %v", tc.click.Sub(paid), got)
		}
	}
	if _, ok := w.LinkFor(nil, paid); ok {
		t.Error("a link out of nothing")
	}
	l, ok := w.LinkFor([]Link{{ID: 1, ClickAt: paid.Add(-time.Hour)}, {ID: 3, ClickAt: paid.Add(-time.Minute)}, {ID: 2, ClickAt: paid.Add(-time.Minute)}}, paid)
	if !ok || l.ID != 3 {
		t.Errorf("LinkFor = %+v, want the newest click, the later link on a tie", l)
	}
}

// TestAnyOrder: the same facts applied in any order — payments, refunds,
// disputes, cancellations, late earlier payments — give the same
// conversions, under every recurring rule.
func TestAnyOrder(t *testing.T) {
	type fact struct {
		name  string
		apply func(w *world)
	}
	canceled := day(50)
	for _, rec := range []conversion.Recurring{{Kind: "lifetime"}, {Kind: "first"}, {Kind: "months", Months: 1}} {
		rng := rand.New(rand.NewSource(int64(len(rec.Kind))))
		// The facts about each payment accumulate: a fact sets what it knows
		// on the stored payment (or the payment, when it arrives first).
		facts := func() []fact {
			base := map[string]Payment{
				"in_1": invoice("in_1", "cus_1", "c@x.example", 5000, day(1)),
				"in_2": invoice("in_2", "cus_1", "c@x.example", 4000, day(20)),
				"in_3": invoice("in_3", "cus_1", "", 3000, day(45)),
				"in_4": invoice("in_4", "cus_2", "d@x.example", 2000, day(5)),
				"ch_5": {SourceID: "ch_5", Email: "e@x.example", Amount: 1000, Currency: "usd", PaidAt: day(6), ChargeID: "ch_5"},
			}
			// Facts about a payment that has not arrived yet wait beside it,
			// as the store keeps a charge's refund before its invoice.
			early := map[string]Payment{}
			set := func(src string, change func(*Payment)) func(w *world) {
				return func(w *world) {
					p, ok := w.payments[src]
					if !ok {
						p = early[src]
						change(&p)
						early[src] = p
						return
					}
					change(&p)
					w.pay(p)
				}
			}
			arrive := func(src string) func(w *world) {
				return func(w *world) {
					p := base[src]
					e := early[src]
					p.Refunded, p.Dispute, p.CanceledAt = e.Refunded, e.Dispute, e.CanceledAt
					w.pay(p)
				}
			}
			return []fact{
				{"pay in_1", arrive("in_1")}, {"pay in_2", arrive("in_2")}, {"pay in_3", arrive("in_3")},
				{"pay in_4", arrive("in_4")}, {"pay ch_5", arrive("ch_5")},
				{"refund in_2", set("in_2", func(p *Payment) { p.Refunded = 1500 })},
				{"dispute in_1", set("in_1", func(p *Payment) { p.Dispute = "lost" })},
				{"dispute in_4 opened", set("in_4", func(p *Payment) {
					if p.Dispute == "" {
						p.Dispute = "needs_response"
					}
				})},
				{"dispute in_4 won", set("in_4", func(p *Payment) { p.Dispute = "won" })},
				{"cancel sub_cus_1", func(w *world) {
					for _, src := range []string{"in_1", "in_2", "in_3"} {
						set(src, func(p *Payment) { p.CanceledAt = &canceled })(w)
					}
				}},
			}
		}
		run := func(order []int) string {
			w := newWorld()
			w.now = day(40)
			w.settings.Recurring = rec
			w.link("c@x.example", "af_a", day(0))
			w.link("d@x.example", "af_b", day(4))
			w.link("e@x.example", "af_a", day(6))
			fs := facts()
			for _, i := range order {
				fs[i].apply(w)
			}
			return w.state()
		}
		inOrder := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		want := run(inOrder)
		t.Logf("%s: %s", rec, want)
		if !strings.Contains(want, "in_1 af_a refunded") {
			t.Fatalf("%s: the in-order story is not the one meant: %s", rec, want)
		}
		for i := 0; i < 200; i++ {
			order := append([]int(nil), inOrder...)
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			// A dispute is won only after it was opened.
			if indexOf(order, 8) < indexOf(order, 7) {
				continue
			}
			if got := run(order); got != want {
				t.Fatalf("%s: order %v\ngot  %s\nwant %s", rec, order, got, want)
			}
		}
	}
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func TestLinkFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    LinkFacts
		want string
	}{
		{"a shopper", LinkFacts{VisitorEmails: 1, ClickEmails: 1, Affiliate: "af_a"}, "[]"},
		{"a typo fixed", LinkFacts{VisitorEmails: 3, ClickEmails: 3, Affiliate: "af_a", EarlierAffiliates: []string{"af_a"}}, "[]"},
		{"a browser linking many emails", LinkFacts{VisitorEmails: 4, ClickEmails: 1, Affiliate: "af_a"}, "[visitor_many_emails]"},
		{"a network linking many emails", LinkFacts{VisitorEmails: 1, NetworkEmails: 4, ClickEmails: 1, Affiliate: "af_a"}, "[network_many_emails]"},
		{"a network at the limit", LinkFacts{VisitorEmails: 1, NetworkEmails: 3, ClickEmails: 1, Affiliate: "af_a"}, "[]"},
		{"one browser of a busy network", LinkFacts{VisitorEmails: 4, NetworkEmails: 4, ClickEmails: 1, Affiliate: "af_a"}, "[visitor_many_emails network_many_emails]"},
		{"a click with many emails", LinkFacts{VisitorEmails: 1, ClickEmails: 4, Affiliate: "af_a"}, "[click_many_emails]"},
		{"a link moved between affiliates", LinkFacts{VisitorEmails: 1, ClickEmails: 1, Affiliate: "af_b", EarlierAffiliates: []string{"af_a"}}, "[link_moved_affiliate]"},
		{"the affiliate's own portal browser", LinkFacts{VisitorEmails: 1, ClickEmails: 1, Affiliate: "af_a", OwnBrowser: true}, "[affiliate_own_browser]"},
		{"own browser and a moved link", LinkFacts{VisitorEmails: 1, ClickEmails: 1, Affiliate: "af_b", EarlierAffiliates: []string{"af_a"}, OwnBrowser: true}, "[link_moved_affiliate affiliate_own_browser]"},
		{"trusted server-side call from the own browser", LinkFacts{Trusted: true, VisitorEmails: 1, ClickEmails: 1, Affiliate: "af_a", OwnBrowser: true}, "[]"},
		{"trusted server-side call", LinkFacts{Trusted: true, VisitorEmails: 9, NetworkEmails: 9, ClickEmails: 9, Affiliate: "af_b", EarlierAffiliates: []string{"af_a"}}, "[]"},
	} {
		if got := fmt.Sprint(LinkFlags(tc.f)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestFlaggedLinkWaitsForTheMerchant(t *testing.T) {
	w := newWorld()
	w.settings.HoldDays = 0
	w.links = append(w.links, Link{ID: 1, Email: "c@x.example", ClickID: "ck_b", ClickAt: day(0), AffiliateID: "af_b",
		Flags: []string{FlagLinkMoved}})
	w.pay(invoice("in_1", "cus_1", "c@x.example", 5000, day(1)))
	w.pay(invoice("in_2", "cus_1", "", 5000, day(2)))
	if got := w.state(); got != "in_1 af_b pending 5000 1000; in_2 af_b pending 5000 1000" {
		t.Errorf("flagged conversions: %s (the hold period must not approve them)", got)
	}
	if h := w.history["in_1"]; len(h) != 1 || !strings.Contains(h[0], "flagged (link_moved_affiliate)") {
		t.Errorf("history %q", h)
	}
	w.decide([]string{"in_1"}, "") // re-evaluated later (as ApproveDue would): still waiting
	if got := w.convs["in_1"].Status; got != conversion.Pending {
		t.Errorf("re-evaluated: %s", got)
	}
	// The merchant approves: the rule lets the decision through.
	c := w.convs["in_1"]
	c.Manual = conversion.ManualApproved
	w.convs["in_1"] = c
	w.decide([]string{"in_1"}, "")
	if got := w.convs["in_1"].Status; got != conversion.Approved {
		t.Errorf("after the merchant's approval: %s", got)
	}
}
