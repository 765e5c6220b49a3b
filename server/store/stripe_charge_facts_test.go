package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The facts of section 13 end the same whatever the order they arrive in,
// one event at a time or in one batch: a refund that failed and one that
// did not, a credit note voided, another credit note, and a charge known only by its payment
// intent (no charge.succeeded: its invoice is named by
// invoice_payment.paid alone).
func TestChargeFactsInAnyOrder(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 1)
	now := time.Now().UTC().Truncate(time.Second)
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	captured := int64(5000)

	story := func(acct string) []tracklane.StripeEvent {
		refund := func(id, status string, h int) tracklane.RefundFact {
			return tracklane.RefundFact{RefundID: id, ChargeID: "ch_1", Amount: 2000, Status: status, At: at(h)}
		}
		return []tracklane.StripeEvent{
			{ID: acct + "_paid", Type: "invoice.paid", Created: at(0), Livemode: true, Payment: &tracklane.PaymentFact{SourceID: "in_1",
				CustomerID: "cus_1", Email: "buyer@example.com", Amount: 5000, Currency: "usd", PaidAt: at(0), InvoiceID: "in_1"}},
			{ID: acct + "_refunded", Type: "charge.refunded", Created: at(2), Livemode: true,
				Charge:  &tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_1", Amount: 5000, AmountCaptured: &captured, AmountRefunded: 2000},
				Refunds: []tracklane.RefundFact{refund("re_1", "succeeded", 2)}},
			{ID: acct + "_inpay", Type: "invoice_payment.paid", Created: at(0), Livemode: true,
				InvoicePayment: &tracklane.InvoicePaymentFact{InvoiceID: "in_1", PaymentIntentID: "pi_1"}},
			{ID: acct + "_failed", Type: "charge.refund.updated", Created: at(3), Livemode: true,
				Charge: &tracklane.ChargeFact{ChargeID: "ch_1"}, Refunds: []tracklane.RefundFact{refund("re_1", "failed", 3)}},
			// Another refund after the failure: the payload (no refund
			// list, as 2023-10-16 sends it) no longer holds the failed one.
			{ID: acct + "_refunded2", Type: "charge.refunded", Created: at(4), Livemode: true,
				Charge: &tracklane.ChargeFact{ChargeID: "ch_1", PaymentIntentID: "pi_1", Amount: 5000, AmountCaptured: &captured, AmountRefunded: 1000}},
			{ID: acct + "_cn1", Type: "credit_note.created", Created: at(4), Livemode: true,
				CreditNote: &tracklane.CreditNoteFact{CreditNoteID: "cn_1", InvoiceID: "in_1", Unrefunded: 1000}},
			{ID: acct + "_cn1void", Type: "credit_note.voided", Created: at(5), Livemode: true,
				CreditNote: &tracklane.CreditNoteFact{CreditNoteID: "cn_1", InvoiceID: "in_1", Void: true}},
			{ID: acct + "_cn2", Type: "credit_note.created", Created: at(6), Livemode: true,
				CreditNote: &tracklane.CreditNoteFact{CreditNoteID: "cn_2", InvoiceID: "in_1", Unrefunded: 500}},
		}
	}
	cid := "c_any_order"
	if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: tenantID, AffiliateID: affs[0].ID, CreatedAt: now.Add(-time.Hour),
		VisitorHash: []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateLink(ctx, tenantID, cid, "buyer@example.com", ""); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 8; round++ {
		acct := fmt.Sprintf("acct_order_%d", round)
		conn, err := st.Connect(ctx, tenantID, acct, true, "usr", "…")
		if err != nil {
			t.Fatal(err)
		}
		evs := story(acct)
		switch round {
		case 0: // in order
		case 1: // reversed
			for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
				evs[i], evs[j] = evs[j], evs[i]
			}
		default:
			rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		}
		if round == 7 { // one batch
			if _, err := st.ApplyEvents(ctx, conn, evs, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, ev := range evs {
				if _, err := st.ApplyEvents(ctx, conn, []tracklane.StripeEvent{ev}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		var amount, commission int64
		var status string
		if err := st.DB().QueryRowContext(ctx, `SELECT amount, commission, status FROM conversions WHERE stripe_account = $1`, acct).
			Scan(&amount, &commission, &status); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// 5000 paid; the 2000 refund failed, a 1000 one did not; cn_1
		// voided; cn_2 credits 500.
		if amount != 3500 || commission != 700 || status != "pending" {
			t.Errorf("round %d (%v): %s %d/%d, want pending 3500/700", round, types(evs), status, amount, commission)
		}
	}
}

func types(evs []tracklane.StripeEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
