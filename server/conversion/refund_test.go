package conversion

import (
	"testing"
	"time"
)

func TestChargeRefunded(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	live := func(amount int64) Refund { return Refund{Amount: amount, At: t0} }
	failed := func(amount int64, h int) Refund { return Refund{Amount: amount, Failed: true, At: at(h)} }
	for _, tc := range []struct {
		name string
		c    ChargeRefunds
		want int64
	}{
		{"nothing", ChargeRefunds{Amount: 5000, Captured: -1}, 0},
		{"a payload only (no ids)", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000, SeenAt: at(1)}, 2000},
		{"one refund, in a payload and by id, counted once",
			ChargeRefunds{Amount: 5000, Captured: 5000, Seen: 2000, SeenAt: at(1), Refunds: []Refund{live(2000)}}, 2000},
		{"a refund known by id before any payload shows it", ChargeRefunds{Amount: 5000, Captured: -1, Refunds: []Refund{live(1500)}}, 1500},
		{"it failed after the payload: the amount comes back",
			ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000, SeenAt: at(1), Refunds: []Refund{failed(2000, 2)}}, 0},
		{"it failed, then another refund (the later payload no longer holds the failed one)",
			ChargeRefunds{Amount: 5000, Captured: -1, Seen: 500, SeenAt: at(3), Refunds: []Refund{failed(2000, 2)}}, 500},
		{"the same, with the refunds known by id",
			ChargeRefunds{Amount: 5000, Captured: -1, Seen: 500, SeenAt: at(3), Refunds: []Refund{failed(2000, 2), live(500)}}, 500},
		{"a failure with no payload's time known", ChargeRefunds{Amount: 5000, Captured: -1, Seen: 2000, Refunds: []Refund{failed(2000, 2)}}, 0},
		{"cancelled, another refund known by id only",
			ChargeRefunds{Amount: 5000, Captured: -1, Seen: 1000, SeenAt: at(1), Refunds: []Refund{failed(1000, 2), live(300)}}, 300},
		{"partial capture releases the rest: not a refund", ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 4000, SeenAt: at(1)}, 0},
		{"partial capture, then a refund", ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 5000, SeenAt: at(2)}, 1000},
		{"partial capture known by id too",
			ChargeRefunds{Amount: 10000, Captured: 6000, Seen: 4000, SeenAt: at(1), Refunds: []Refund{live(4000)}}, 0},
		{"never negative", ChargeRefunds{Amount: 10000, Captured: 0, Seen: 10000, SeenAt: at(1)}, 0},
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
