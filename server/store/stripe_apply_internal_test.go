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
		{"the capture only grows, the payment intent is the latest named", nil, []tracklane.StripeEvent{
			ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_1", AmountCaptured: ptr(0)}, nil),
			ev("e2", t0.Add(time.Minute), &tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(800)}, nil),
			ev("e3", t0, &tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_2", AmountCaptured: ptr(500)}, nil),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_2", AmountCaptured: ptr(800)},
			refundedLatest: ptr(0), refundedLatestAt: t0.Add(time.Minute).Unix()}},
		{"the latest payload's amount_refunded follows the later payload (a failed refund lowers it)", nil, []tracklane.StripeEvent{
			ev("e1", t0.Add(2*time.Minute), &tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000), AmountRefunded: 200}, nil),
			ev("e2", t0.Add(time.Minute), &tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000), AmountRefunded: 700}, nil),
			ev("e3", t0.Add(2*time.Minute), &tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000), AmountRefunded: 100}, nil),
			ev("e4", t0.Add(time.Hour), &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 0}, nil), // not the charge's own payload
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000), AmountRefunded: 700}, refundEvent: "e2",
			refundedLatest: ptr(200), refundedLatestAt: t0.Add(2 * time.Minute).Unix()}},
		{"a stored later payload stands", &chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000)},
			refundedLatest: ptr(0), refundedLatestAt: t0.Add(time.Hour).Unix(), stored: true},
			[]tracklane.StripeEvent{ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(600), AmountRefunded: 400}, nil)},
			chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1", AmountCaptured: ptr(1000), AmountRefunded: 400}, refundEvent: "e1",
				refundedLatest: ptr(0), refundedLatestAt: t0.Add(time.Hour).Unix(), stored: true}},
		{"a charge that is a payment of its own", nil, []tracklane.StripeEvent{
			ev("e1", t0, &tracklane.ChargeFact{ChargeID: "ch_1"}, &tracklane.PaymentFact{SourceID: "ch_1"}),
		}, chargeMerge{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_1"}, own: true}},
	} {
		known := storedFacts{charges: map[string]chargeMerge{}}
		if tc.stored != nil {
			known.charges["ch_1"] = *tc.stored
		}
		b := mergeFacts(known, tc.events)
		got := b.charges["ch_1"]
		if got == nil || len(b.chargeOrder) != 1 || !reflect.DeepEqual(*got, tc.want) {
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

func ptr(v int64) *int64 { return &v }

// TestMergeRefunds: a refund's status follows its later event, at the same
// second a failed or cancelled one stays so, the time kept is when its
// status was first seen and its amount is the largest stated — within a
// batch as against what is stored.
func TestMergeRefunds(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	refund := func(status string, at time.Time, amount int64) tracklane.RefundFact {
		return tracklane.RefundFact{RefundID: "re_1", ChargeID: "ch_1", Amount: amount, Status: status, At: at}
	}
	ev := func(id string, rs ...tracklane.RefundFact) tracklane.StripeEvent {
		return tracklane.StripeEvent{ID: id, Refunds: rs}
	}
	for _, tc := range []struct {
		name   string
		stored *refundMerge
		events []tracklane.StripeEvent
		want   refundMerge
	}{
		{"the later status wins", nil, []tracklane.StripeEvent{
			ev("e1", refund("failed", t0.Add(time.Minute), 500)), ev("e2", refund("succeeded", t0, 500)),
		}, refundMerge{RefundFact: refund("failed", t0.Add(time.Minute), 500), event: "e1"}},
		{"same second: failed stays failed, whatever the order", nil, []tracklane.StripeEvent{
			ev("e1", refund("failed", t0, 500)), ev("e2", refund("succeeded", t0, 500)),
		}, refundMerge{RefundFact: refund("failed", t0, 500), event: "e1"}},
		{"the same status keeps its first time; the amount is the largest", nil, []tracklane.StripeEvent{
			ev("e1", refund("canceled", t0.Add(time.Hour), 300)), ev("e2", refund("canceled", t0.Add(time.Minute), 500)),
		}, refundMerge{RefundFact: refund("canceled", t0.Add(time.Minute), 500), event: "e1"}},
		{"no status says nothing of it", nil, []tracklane.StripeEvent{
			ev("e1", refund("succeeded", t0, 500)), ev("e2", refund("", t0.Add(time.Hour), 500)),
		}, refundMerge{RefundFact: refund("succeeded", t0, 500), event: "e1"}},
		{"a stored later failure stands", &refundMerge{RefundFact: refund("failed", t0.Add(time.Hour), 500), event: "e0", stored: true},
			[]tracklane.StripeEvent{ev("e1", refund("succeeded", t0, 500))},
			refundMerge{RefundFact: refund("failed", t0.Add(time.Hour), 500), event: "e0", stored: true}},
		{"a later failure of a stored refund", &refundMerge{RefundFact: refund("succeeded", t0, 500), event: "e0", stored: true},
			[]tracklane.StripeEvent{ev("e1", refund("failed", t0.Add(time.Hour), 500))},
			refundMerge{RefundFact: refund("failed", t0.Add(time.Hour), 500), event: "e1", stored: true}},
	} {
		known := storedFacts{refunds: map[string]refundMerge{}}
		if tc.stored != nil {
			known.refunds["re_1"] = *tc.stored
		}
		b := mergeFacts(known, tc.events)
		if got := b.refunds["re_1"]; got == nil || len(b.refundOrder) != 1 || *got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// TestMergeCreditNotes: a voided credit note stays void (recorded by the
// event that voided it), its unrefunded part never changes.
func TestMergeCreditNotes(t *testing.T) {
	note := func(void bool, unrefunded int64) *tracklane.CreditNoteFact {
		return &tracklane.CreditNoteFact{CreditNoteID: "cn_1", InvoiceID: "in_1", Unrefunded: unrefunded, Void: void}
	}
	events := []tracklane.StripeEvent{{ID: "e1", CreditNote: note(true, 0)}, {ID: "e2", CreditNote: note(false, 700)}}
	b := mergeFacts(storedFacts{}, events)
	want := noteMerge{CreditNoteFact: *note(true, 700), event: "e1"}
	if got := b.notes["cn_1"]; got == nil || *got != want || b.noteLastSeen["cn_1"] != "e2" {
		t.Errorf("one batch: %+v, want %+v", got, want)
	}
	stored := storedFacts{notes: map[string]noteMerge{"cn_1": {CreditNoteFact: *note(false, 700), event: "e0", stored: true}}}
	b = mergeFacts(stored, events[:1])
	want = noteMerge{CreditNoteFact: *note(true, 700), event: "e1", stored: true}
	if got := b.notes["cn_1"]; got == nil || *got != want {
		t.Errorf("voiding a stored note: %+v, want %+v", got, want)
	}
}

// TestLinkCharges: a charge recorded without an invoice takes the one an
// invoice_payment.paid named for its payment intent or for it, stored or
// in the batch; a stored charge a batch's invoice payment links joins the
// batch with that event; a charge that is a payment of its own, or already
// linked, is left alone.
func TestLinkCharges(t *testing.T) {
	events := []tracklane.StripeEvent{
		{ID: "e1", Charge: &tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_1"}},
		{ID: "e2", Charge: &tracklane.ChargeFact{ChargeID: "ch_2", PaymentIntentID: "pi_2"}},
		{ID: "e3", Charge: &tracklane.ChargeFact{ChargeID: "ch_3", PaymentIntentID: "pi_3"}, Payment: &tracklane.PaymentFact{SourceID: "ch_3", Amount: 100}},
		{ID: "e4", Charge: &tracklane.ChargeFact{ChargeID: "ch_4", PaymentIntentID: "pi_4", InvoiceID: "in_4"}},
		{ID: "e5", InvoicePayment: &tracklane.InvoicePaymentFact{InvoiceID: "in_2", PaymentIntentID: "pi_2"}},
		{ID: "e6", InvoicePayment: &tracklane.InvoicePaymentFact{InvoiceID: "in_9", ChargeID: "ch_9"}},
		{ID: "e7", InvoicePayment: &tracklane.InvoicePaymentFact{InvoiceID: "in_x", PaymentIntentID: "pi_3"}},
		{ID: "e8", InvoicePayment: &tracklane.InvoicePaymentFact{InvoiceID: "in_y", PaymentIntentID: "pi_4"}},
	}
	b := mergeFacts(storedFacts{}, events)
	b.link(storedLinks{
		payments: []tracklane.InvoicePaymentFact{{InvoiceID: "in_1", PaymentIntentID: "pi_1"}},
		charges: []chargeMerge{
			{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_9"}, stored: true},
			{ChargeFact: tracklane.ChargeFact{ChargeID: "ch_8", PaymentIntentID: "pi_8"}, stored: true}, // named by nothing
		},
	})
	want := map[string]string{"ch_1": "in_1", "ch_2": "in_2", "ch_3": "", "ch_4": "in_4", "ch_9": "in_9"}
	for id, inv := range want {
		if m := b.charges[id]; m == nil || m.InvoiceID != inv {
			t.Errorf("%s: %+v, want invoice %q", id, m, inv)
		}
	}
	if _, ok := b.charges["ch_8"]; ok || len(b.chargeOrder) != 5 {
		t.Errorf("charges of the batch: %v", b.chargeOrder)
	}
	if b.chargeEvent["ch_9"] != "e6" || b.chargeEvent["ch_1"] != "e1" || !b.charges["ch_9"].stored {
		t.Errorf("events: ch_9 %q, ch_1 %q", b.chargeEvent["ch_9"], b.chargeEvent["ch_1"])
	}
}
