package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// TestMergeFacts: the one merge rule of a payment's and a charge's facts,
// from what is stored through each event of a batch in order.
func TestMergeFacts(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, at time.Time, c *tracklane.ChargeFact, p *tracklane.PaymentFact) tracklane.StripeEvent {
		return tracklane.StripeEvent{ID: id, Created: at, Charge: c, Payment: p}
	}
	dispute := func(status string) *tracklane.ChargeFact {
		return &tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: status}
	}
	for _, tc := range []struct {
		name   string
		stored *chargeMerge
		events []tracklane.StripeEvent
		want   chargeMerge // ChargeID and stored are checked too
	}{
		{"first sight", nil, []tracklane.StripeEvent{
			ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", CustomerID: "cus_1", Amount: 1000, Created: t0}, nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", CustomerID: "cus_1", Amount: 1000}, created: t0}},
		{"invoice and customer filled in, amount the largest, creation the first", nil, []tracklane.StripeEvent{
			ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", Amount: 1000, Created: t0}, nil),
			ev("e2", t0, &tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", CustomerID: "cus_1", Amount: 500, Created: t0.Add(time.Hour)}, nil),
			ev("e3", t0, &tracklane.ChargeFact{ChargeID: "ch_1"}, nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", CustomerID: "cus_1", Amount: 1000}, created: t0}},
		{"a refund only grows", nil, []tracklane.StripeEvent{
			ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 300}, nil),
			ev("e2", t0, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 700}, nil),
			ev("e3", t0, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 300}, nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 700}, refundEvent: "e2"}},
		{"a stored refund only grows", &chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", AmountRefunded: 700}, refundEvent: "e0", created: t0, stored: true},
			[]tracklane.StripeEvent{ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 300, Created: t0.Add(time.Hour)}, nil)},
			chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", InvoiceID: "in_1", AmountRefunded: 700}, refundEvent: "e0", created: t0, stored: true}},
		{"the later dispute event wins", nil, []tracklane.StripeEvent{
			ev("e1", t0.Add(time.Minute), dispute("won"), nil),
			ev("e2", t0, dispute("needs_response"), nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "won"}, disputeEvent: "e1", disputeCreated: t0.Add(time.Minute).Unix()}},
		{"same second: closing beats open, whatever the order", nil, []tracklane.StripeEvent{
			ev("e1", t0, dispute("lost"), nil),
			ev("e2", t0, dispute("under_review"), nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "lost"}, disputeEvent: "e1", disputeCreated: t0.Unix()}},
		{"same second: warning_closed closes", nil, []tracklane.StripeEvent{
			ev("e1", t0, dispute("warning_under_review"), nil),
			ev("e2", t0, dispute("warning_closed"), nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "warning_closed"}, disputeEvent: "e2", disputeCreated: t0.Unix()}},
		{"a stored later dispute state stands", &chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "lost"},
			disputeEvent: "e0", disputeCreated: t0.Add(time.Minute).Unix(), stored: true},
			[]tracklane.StripeEvent{ev("e1", t0, dispute("needs_response"), nil)},
			chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "lost"}, disputeEvent: "e0", disputeCreated: t0.Add(time.Minute).Unix(), stored: true}},
		{"same second as stored: closing beats the stored open one", &chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "needs_response"},
			disputeEvent: "e0", disputeCreated: t0.Unix(), stored: true},
			[]tracklane.StripeEvent{ev("e1", t0, dispute("won"), nil)},
			chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: "won"}, disputeEvent: "e1", disputeCreated: t0.Unix(), stored: true}},
	} {
		known := storedFacts{charges: map[string]chargeMerge{}}
		if tc.stored != nil {
			known.charges["ch_1"] = *tc.stored
		}
		b := mergeFacts(known, tc.events)
		got := b.charges["ch_1"]
		if got == nil || len(b.chargeOrder) != 1 || *got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if last := tc.events[len(tc.events)-1].ID; b.chargeEvent["ch_1"] != last {
			t.Errorf("%s: the charge's event is %q, want the batch's last, %q", tc.name, b.chargeEvent["ch_1"], last)
		}
	}
}

// TestMergePayments: a payment's later statements fill in what was not
// known (email, payment intent, click id, promotion codes), name its
// latest charge, and change nothing else — within a batch as against what
// is stored.
func TestMergePayments(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	first := tracklane.PaymentFact{SourceID: "ch_1", CustomerID: "cus_1", Amount: 1000, Currency: "usd", PaidAt: t0, ChargeID: "ch_1"}
	later := tracklane.PaymentFact{SourceID: "ch_1", CustomerID: "cus_2", Email: "ann@example.com", Amount: 900, Currency: "eur", PaidAt: t0.Add(time.Hour),
		ChargeID: "ch_9", PaymentIntentID: "pi_1", ClickID: "cid_1", PromotionCodes: []string{"spring"}}
	want := first
	want.Email, want.ChargeID, want.PaymentIntentID, want.ClickID, want.PromotionCodes = "ann@example.com", "ch_9", "pi_1", "cid_1", []string{"spring"}
	events := func(ps ...tracklane.PaymentFact) []tracklane.StripeEvent {
		var out []tracklane.StripeEvent
		for i := range ps {
			out = append(out, tracklane.StripeEvent{ID: fmt.Sprintf("e%d", i+1), Payment: &ps[i]})
		}
		return out
	}
	same := func(a, b tracklane.PaymentFact) bool { return reflect.DeepEqual(a, b) }
	// In one batch.
	b := mergeFacts(storedFacts{}, events(first, later))
	if len(b.payments) != 1 || b.payments[0].stored || !same(b.payments[0].PaymentFact, want) || b.paymentEvent["ch_1"] != "e2" {
		t.Errorf("one batch: %+v (event %q), want %+v", b.payments, b.paymentEvent["ch_1"], want)
	}
	// The first stored, the later one in a batch of its own.
	b = mergeFacts(storedFacts{payments: map[string]paymentMerge{"ch_1": {PaymentFact: first, stored: true}}}, events(later))
	if len(b.payments) != 1 || !b.payments[0].stored || !same(b.payments[0].PaymentFact, want) {
		t.Errorf("against the stored one: %+v, want %+v", b.payments, want)
	}
	// What is known stands; an unknown charge does not erase the known one.
	again := later
	again.Email, again.ChargeID, again.ClickID, again.PromotionCodes = "bob@example.com", "", "cid_2", []string{"other"}
	b = mergeFacts(storedFacts{}, events(first, later, again))
	if !same(b.payments[0].PaymentFact, want) {
		t.Errorf("a third statement changed what was known: %+v, want %+v", b.payments[0].PaymentFact, want)
	}
	// A payment of nothing is not a payment.
	zero := first
	zero.Amount = 0
	if b := mergeFacts(storedFacts{}, events(zero)); len(b.payments) != 0 {
		t.Errorf("a zero payment was recorded: %+v", b.payments)
	}
}
