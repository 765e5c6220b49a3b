package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestFactsDoNotDependOnBatches: the same events recorded in one batch,
// one batch each, or batches of three leave the same payments and
// charges: Go merges each fact into what is stored by one rule, and the
// statements store the outcome.
func TestFactsDoNotDependOnBatches(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	standalone := func(email, pi string) *tracklane.PaymentFact {
		return &tracklane.PaymentFact{SourceID: "ch_1", CustomerID: "cus_1", Email: email, Amount: 5000, Currency: "usd", PaidAt: t0,
			ChargeID: "ch_1", PaymentIntentID: pi}
	}
	invoice := func(charge, click string, codes ...string) *tracklane.PaymentFact {
		return &tracklane.PaymentFact{SourceID: "in_1", CustomerID: "cus_2", Email: "bob@example.com", Amount: 8000, Currency: "usd", PaidAt: at(10),
			InvoiceID: "in_1", ChargeID: charge, ClickID: click, PromotionCodes: codes}
	}
	dispute := func(status string) *tracklane.ChargeFact {
		return &tracklane.ChargeFact{ChargeID: "ch_1", DisputeID: "dp_1", DisputeStatus: status}
	}
	type event struct {
		at      time.Time
		payment *tracklane.PaymentFact
		charge  *tracklane.ChargeFact
	}
	events := []event{
		{at(0), standalone("", ""), &tracklane.ChargeFact{ChargeID: "ch_1", CustomerID: "cus_1", Amount: 5000, Created: t0}},
		{at(1), standalone("ann@example.com", "pi_1"), &tracklane.ChargeFact{ChargeID: "ch_1"}},
		{at(2), standalone("other@example.com", "pi_2"), &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 1000}},
		{at(3), nil, dispute("needs_response")},
		{at(3), nil, dispute("won")},
		{at(3), nil, dispute("under_review")}, // the same second as its closing: the closing stands
		{at(4), nil, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 2500}},
		{at(5), nil, &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: 2000}}, // an older view of the refunds
		{at(10), invoice("", ""), nil},
		{at(11), nil, &tracklane.ChargeFact{ChargeID: "ch_2", InvoiceID: "in_1", CustomerID: "cus_2", Amount: 8000, Created: at(10)}},
		{at(12), invoice("ch_2", "cid_1", "spring"), nil},
		{at(13), invoice("", "cid_2", "autumn"), nil},
	}
	record := func(n, size int) string {
		tenantID, _ := newClickTenant(t, st, n)
		account := fmt.Sprintf("acct_batches_%d", size)
		conn, err := st.Connect(ctx, tenantID, account, true, "usr", "…")
		if err != nil {
			t.Fatal(err)
		}
		var batch []tracklane.StripeEvent
		for i, e := range events {
			batch = append(batch, tracklane.StripeEvent{ID: fmt.Sprintf("evt_%d_%d", size, i), Type: "charge.updated", Created: e.at, Livemode: true,
				Payment: e.payment, Charge: e.charge})
			if len(batch) == size || i == len(events)-1 {
				if _, err := st.ApplyEvents(ctx, conn, batch, nil); err != nil {
					t.Fatal(err)
				}
				batch = nil
			}
		}
		return facts(t, st, account, fmt.Sprintf("evt_%d_", size))
	}
	one := record(1, len(events))
	if !strings.Contains(one, "ch_1 cus_1 5000 2026-03-01T12:00:00Z 2500 evt_6 dp_1 won evt_4") ||
		!strings.Contains(one, "ch_1 cus_1 ann@example.com 5000 ch_1 pi_1") || !strings.Contains(one, "in_1 cus_2 bob@example.com 8000 ch_2  cid_1 {spring}") {
		t.Errorf("one batch recorded:\n%s", one)
	}
	for i, size := range []int{1, 3} {
		if got := record(i+2, size); got != one {
			t.Errorf("batches of %d recorded:\n%s\none batch:\n%s", size, got, one)
		}
	}
}

// facts reads an account's payments and charges as text, the event ids
// without their prefix (each recording has its own ids). A payment's
// event_id, the event that first recorded it, is the record's and left
// out.
func facts(t *testing.T, st *store.Store, account, prefix string) string {
	t.Helper()
	var b strings.Builder
	rows, err := st.DB().Query(`SELECT charge_id, customer_id, amount, created, amount_refunded, refund_event_id, dispute_id, dispute_status,
			dispute_event_id, dispute_event_created, invoice_id
		FROM stripe_charges WHERE account_id = $1 ORDER BY charge_id`, account)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, cus, refundEv, dispute, status, disputeEv, inv string
		var amount, refunded, disputeAt int64
		var created time.Time
		if err := rows.Scan(&id, &cus, &amount, &created, &refunded, &refundEv, &dispute, &status, &disputeEv, &disputeAt, &inv); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "charge %s %s %d %s %d %s %s %s %s %d %s\n", id, cus, amount, created.UTC().Format(time.RFC3339), refunded,
			strings.Replace(refundEv, prefix, "evt_", 1), dispute, status, strings.Replace(disputeEv, prefix, "evt_", 1), disputeAt, inv)
	}
	rows.Close()
	rows, err = st.DB().Query(`SELECT source_id, customer_id, email, amount, charge_id, payment_intent_id, click_id, promotion_codes,
			currency, paid_at, invoice_id, subscription_id
		FROM stripe_payments WHERE account_id = $1 ORDER BY source_id`, account)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, cus, email, charge, pi, click, cur, inv, sub string
		var codes []string
		var amount int64
		var paid time.Time
		if err := rows.Scan(&src, &cus, &email, &amount, &charge, &pi, &click, pq.Array(&codes), &cur, &paid, &inv, &sub); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "payment %s %s %s %d %s %s %s {%s} %s %s %s %s\n", src, cus, email, amount, charge, pi, click, strings.Join(codes, ","),
			cur, paid.UTC().Format(time.RFC3339), inv, sub)
	}
	return b.String()
}

// TestConcurrentFactsMerge: writers recording facts of one new charge at
// the same moment (a webhook and a check, several processes) each merge
// into what the others committed: no fact is lost.
func TestConcurrentFactsMerge(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, _ := newClickTenant(t, st, 1)
	conn, err := st.Connect(ctx, tenantID, "acct_concurrent", true, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const writers = 6
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := 0; i < writers; i++ {
		go func() {
			<-start
			c := &tracklane.ChargeFact{ChargeID: "ch_1", AmountRefunded: int64(100 * (i + 1))}
			if i == 2 {
				c.InvoiceID, c.CustomerID, c.Amount, c.Created = "in_1", "cus_1", 5000, t0
			}
			_, err := st.ApplyEvents(ctx, conn, []tracklane.StripeEvent{{ID: fmt.Sprintf("evt_c%d", i), Type: "charge.refunded",
				Created: t0.Add(time.Duration(i) * time.Second), Livemode: true, Charge: c}}, nil)
			errs <- err
		}()
	}
	close(start)
	for i := 0; i < writers; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got := facts(t, st, "acct_concurrent", "evt_c")
	if want := fmt.Sprintf("charge ch_1 cus_1 5000 2026-03-01T12:00:00Z %d evt_%d    0 in_1\n", 100*writers, writers-1); got != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}
