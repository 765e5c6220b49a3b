package conversion

import (
	"testing"
	"time"
)

func TestChargeRefunded(t *testing.T) {
	r := func(amount int64, failed bool) Refund { return Refund{Amount: amount, Failed: failed} }
	for _, tc := range []struct {
		name string
		c    ChargeRefunds
		want int64
	}{
		{"nothing", ChargeRefunds{Amount: 5000, Captured: -1}, 0},
		{"seen only (no ids in the payload)", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000}, 2000},
		{"one refund, seen and by id, counted once", ChargeRefunds{Amount: 5000, Captured: 5000, Seen: 2000, Refunds: []Refund{r(2000, false)}}, 2000},
		{"a refund known by id before any payload shows it", ChargeRefunds{Amount: 5000, Captured: -1, Refunds: []Refund{r(1500, false)}}, 1500},
		{"a failed refund gives the amount back", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000, Refunds: []Refund{r(2000, true)}}, 0},
		{"failed, later payload no longer holds it, another refund known by id",
			ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000, Refunds: []Refund{r(2000, true), r(500, false)}}, 500},
		{"failed, later payload still holds it", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2500, Refunds: []Refund{r(2000, true)}}, 500},
		{"cancelled refund", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 1000, Refunds: []Refund{r(1000, true), r(300, false)}}, 300},
		{"partial capture releases the rest: not a refund", ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 4000}, 0},
		{"partial capture, then a refund", ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 5000}, 1000},
		{"partial capture known by id too", ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 4000, Refunds: []Refund{r(4000, false)}}, 0},
		{"never negative", ChargeRefunds{Amount: 10000, Captured: 0, Seen: 10000}, 0},
	} {
		if got := tc.c.Refunded(); got != tc.want {
			t.Errorf("%s: Refunded() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestEvaluateCredited(t *testing.T) {
	paid := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rule := Rule{Type: Percent, BasisPoints: 2000}
	base := Facts{Livemode: true, Gross: 10000, Currency: "usd", PaidAt: paid, HoldDays: 30}
	now := paid.Add(time.Hour)

	f := base
	f.Credited = 3000
	if st := Evaluate(f, rule, now); st.Status != Pending || st.Amount != 7000 || st.Commission != 1400 || st.Reason != "payment received; partly credited back" {
		t.Errorf("credited 3000: %+v", st)
	}
	f.Refunded = 2000 // a refund and a credit note are both money back
	if st := Evaluate(f, rule, now); st.Amount != 5000 || st.Commission != 1000 {
		t.Errorf("refunded 2000, credited 3000: %+v", st)
	}
	f.Refunded, f.Credited = 4000, 6000
	if st := Evaluate(f, rule, now); st.Status != Refunded || st.Amount != 0 || st.Commission != 0 || st.Reason != "fully refunded or credited back" {
		t.Errorf("all of it back: %+v", st)
	}
	f.Credited = 0
	f.Refunded = 10000
	if st := Evaluate(f, rule, now); st.Reason != "fully refunded" {
		t.Errorf("refunded only: %+v", st)
	}
}
