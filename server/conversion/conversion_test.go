package conversion

import (
	"testing"
	"time"
)

func TestCommission(t *testing.T) {
	for _, tc := range []struct {
		rule     Rule
		amount   int64
		currency string
		want     int64
	}{
		{Rule{Type: Percent, BasisPoints: 2000}, 4500, "usd", 900},
		{Rule{Type: Percent, BasisPoints: 2000}, 3, "usd", 1},    // 0.6 rounds up
		{Rule{Type: Percent, BasisPoints: 2000}, 2, "usd", 0},    // 0.4 rounds down
		{Rule{Type: Percent, BasisPoints: 1250}, 100, "usd", 13}, // 12.5 → 13 (half up)
		{Rule{Type: Percent, BasisPoints: 1250}, 4, "usd", 1},    // 0.5 → 1
		{Rule{Type: Percent, BasisPoints: 10000}, 1 << 60, "usd", 1 << 60},
		{Rule{Type: Percent, BasisPoints: 2000}, 0, "usd", 0},
		{Rule{Type: Percent, BasisPoints: 2000}, -5, "usd", 0},
		{Rule{Type: Fixed, Fixed: 500, Currency: "usd"}, 100, "usd", 500},
		{Rule{Type: Fixed, Fixed: 500, Currency: "usd"}, 100, "USD", 500},
		{Rule{Type: Fixed, Fixed: 500, Currency: "eur"}, 100, "usd", 0},
		{Rule{Type: Fixed, Fixed: 500, Currency: "usd"}, 0, "usd", 0},
	} {
		if got := tc.rule.Commission(tc.amount, tc.currency); got != tc.want {
			t.Errorf("%+v on %d %s = %d, want %d", tc.rule, tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]int64{"20": 2000, "12.5": 1250, "7.25": 725, "0": 0, "100": 10000, " 15% ": 1500} {
		if got, err := ParsePercent(in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "101", "-1", "5.", ".5", "1e2"} {
		if _, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) accepted", in)
		}
	}
	if s := (Rule{Type: Percent, BasisPoints: 1250}).PercentString(); s != "12.5" {
		t.Errorf("PercentString = %q", s)
	}
}

func TestRecurring(t *testing.T) {
	first := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in      string
		isFirst bool
		paid    time.Time
		want    bool
	}{
		{"lifetime", false, first.AddDate(5, 0, 0), true},
		{"first", true, first, true},
		{"first", false, first.AddDate(0, 1, 0), false},
		{"months:3", false, first.AddDate(0, 2, 0), true},
		{"months:3", false, first.AddDate(0, 3, 1), false},
	} {
		r, err := ParseRecurring(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Eligible(tc.isFirst, first, tc.paid); got != tc.want {
			t.Errorf("%s first=%v at %s: %v, want %v", tc.in, tc.isFirst, tc.paid, got, tc.want)
		}
		if r.String() != tc.in {
			t.Errorf("String() = %q, want %q", r.String(), tc.in)
		}
	}
	for _, bad := range []string{"", "sometimes", "months:0", "months:x"} {
		if _, err := ParseRecurring(bad); err == nil {
			t.Errorf("ParseRecurring(%q) accepted", bad)
		}
	}
}

func TestEvaluate(t *testing.T) {
	paid := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rule := Rule{Type: Percent, BasisPoints: 2000}
	base := Facts{Livemode: true, Gross: 10000, Currency: "usd", PaidAt: paid, HoldDays: 30}
	at := func(f func(*Facts)) Facts { c := base; f(&c); return c }
	cancel := func(d time.Duration) *time.Time { t := paid.Add(d); return &t }
	day := 24 * time.Hour
	for _, tc := range []struct {
		name       string
		facts      Facts
		now        time.Time
		status     Status
		amount     int64
		commission int64
	}{
		{"fresh", base, paid.Add(day), Pending, 10000, 2000},
		{"after hold", base, paid.Add(30 * day), Approved, 10000, 2000},
		{"test mode", at(func(f *Facts) { f.Livemode = false }), paid.Add(60 * day), Test, 10000, 2000},
		{"partial refund", at(func(f *Facts) { f.Refunded = 2500 }), paid.Add(day), Pending, 7500, 1500},
		{"full refund", at(func(f *Facts) { f.Refunded = 10000 }), paid.Add(60 * day), Refunded, 0, 0},
		{"refund after approval", at(func(f *Facts) { f.Refunded = 10000 }), paid.Add(40 * day), Refunded, 0, 0},
		{"dispute open", at(func(f *Facts) { f.Dispute = DisputeOpen }), paid.Add(day), Disputed, 10000, 2000},
		{"dispute won: back to before", at(func(f *Facts) { f.Dispute = DisputeWon }), paid.Add(40 * day), Approved, 10000, 2000},
		{"warning closed", at(func(f *Facts) { f.Dispute = DisputeClosed }), paid.Add(day), Pending, 10000, 2000},
		{"dispute lost", at(func(f *Facts) { f.Dispute = DisputeLost }), paid.Add(day), Refunded, 0, 0},
		{"cancelled while pending", at(func(f *Facts) { f.CanceledAt = cancel(10 * day) }), paid.Add(40 * day), Cancelled, 10000, 2000},
		{"cancelled after approval", at(func(f *Facts) { f.CanceledAt = cancel(31 * day) }), paid.Add(40 * day), Approved, 10000, 2000},
		{"cancelled before the payment", at(func(f *Facts) { f.CanceledAt = cancel(-day) }), paid.Add(day), Pending, 10000, 2000},
		{"self-referral", at(func(f *Facts) { f.SelfReferral = true }), paid.Add(day), Rejected, 10000, 2000},
		{"rejected by the merchant", at(func(f *Facts) { f.Manual = ManualRejected }), paid.Add(day), Rejected, 10000, 2000},
		{"approved by the merchant", at(func(f *Facts) { f.Manual = ManualApproved }), paid.Add(day), Approved, 10000, 2000},
		{"test stays test when refunded", at(func(f *Facts) { f.Livemode = false; f.Refunded = 10000 }), paid, Test, 0, 0},
	} {
		st := Evaluate(tc.facts, rule, tc.now)
		if st.Status != tc.status || st.Amount != tc.amount || st.Commission != tc.commission || st.Reason == "" {
			t.Errorf("%s: %+v, want %s %d %d", tc.name, st, tc.status, tc.amount, tc.commission)
		}
	}
}

// TestEvaluateCause: each state says which step decided it, and whether it
// stands partly refunded, in fields; the history's words are made from
// them and read the same as before the fields existed.
func TestEvaluateCause(t *testing.T) {
	paid := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rule := Rule{Type: Percent, BasisPoints: 2000}
	base := Facts{Livemode: true, Gross: 10000, Currency: "usd", PaidAt: paid, HoldDays: 30}
	at := func(f func(*Facts)) Facts { c := base; f(&c); return c }
	day := 24 * time.Hour
	cancel := paid.Add(10 * day)
	for _, tc := range []struct {
		name    string
		facts   Facts
		now     time.Time
		cause   Cause
		partial bool
		reason  string
	}{
		{"fresh", base, paid.Add(day), CauseReceived, false, "payment received"},
		{"after hold", base, paid.Add(30 * day), CauseHoldEnded, false, "hold period ended"},
		{"partly refunded after hold", at(func(f *Facts) { f.Refunded = 2500 }), paid.Add(30 * day), CauseHoldEnded, true, "hold period ended; partially refunded"},
		{"partly refunded, disputed", at(func(f *Facts) { f.Refunded = 2500; f.Dispute = DisputeOpen }), paid.Add(day), CauseDisputed, true, "payment disputed; partially refunded"},
		{"fully refunded", at(func(f *Facts) { f.Refunded = 10000 }), paid.Add(day), CauseFullyRefunded, false, "fully refunded"},
		{"refunded and credited back in full", at(func(f *Facts) { f.Refunded = 6000; f.Credited = 4000 }), paid.Add(day), CauseFullyCredited, false, "fully refunded or credited back"},
		{"partly credited back", at(func(f *Facts) { f.Credited = 3000 }), paid.Add(30 * day), CauseHoldEnded, false, "hold period ended; partly credited back"},
		{"dispute lost after a partial refund", at(func(f *Facts) { f.Refunded = 2500; f.Dispute = DisputeLost }), paid.Add(day), CauseDisputeLost, false, "dispute lost"},
		{"dispute won", at(func(f *Facts) { f.Dispute = DisputeWon }), paid.Add(40 * day), CauseHoldEnded, false, "hold period ended; dispute closed in the merchant's favour"},
		{"test mode", at(func(f *Facts) { f.Livemode = false }), paid, CauseTestMode, false, "test-mode payment"},
		{"self-referral", at(func(f *Facts) { f.SelfReferral = true }), paid, CauseSelfReferral, false, "self-referral: the customer is the affiliate"},
		{"withdrawn", at(func(f *Facts) { f.Withdrawn = true }), paid, CauseWithdrawn, false, "withdrawn by the recurring rule: an earlier payment is the customer's first attributed one"},
		{"rejected", at(func(f *Facts) { f.Manual = ManualRejected }), paid, CauseRejectedByMerchant, false, "rejected by the merchant"},
		{"approved", at(func(f *Facts) { f.Manual = ManualApproved }), paid, CauseApprovedByMerchant, false, "approved by the merchant"},
		{"cancelled", at(func(f *Facts) { f.CanceledAt = &cancel }), paid.Add(40 * day), CauseCancelled, false, "subscription cancelled during the hold period"},
		{"flagged", at(func(f *Facts) { f.Flagged = true }), paid.Add(40 * day), CauseHeldFlagged, false, "hold period ended; held for the merchant's review (flagged)"},
	} {
		st := Evaluate(tc.facts, rule, tc.now)
		if st.Cause != tc.cause || st.PartiallyRefunded != tc.partial || st.Reason != tc.reason {
			t.Errorf("%s: cause %d partial %v reason %q, want %d %v %q", tc.name, st.Cause, st.PartiallyRefunded, st.Reason, tc.cause, tc.partial, tc.reason)
		}
	}
	// The site's reports say "reported" where a payment would say
	// "payment received": decided by the cause, not the words.
	for flagged, want := range map[bool]string{false: "reported; pending until the hold period ends", true: "reported; held for the merchant's review (flagged)"} {
		f := base
		f.Flagged = flagged
		if st := EvaluateReported(f, rule, paid.Add(day)); st.Cause != CauseReceived || st.Reason != want {
			t.Errorf("reported, flagged %v: %+v, want %q", flagged, st, want)
		}
	}
}

func TestDisputeState(t *testing.T) {
	for _, tc := range []struct {
		stripe, state string
		closes        bool
	}{
		{"", DisputeNone, false},
		{"needs_response", DisputeOpen, false},
		{"under_review", DisputeOpen, false},
		{"warning_needs_response", DisputeOpen, false},
		{"warning_under_review", DisputeOpen, false},
		{"won", DisputeWon, true},
		{"lost", DisputeLost, true},
		{"warning_closed", DisputeClosed, true},
	} {
		if got := DisputeState(tc.stripe); got != tc.state {
			t.Errorf("DisputeState(%q) = %q, want %q", tc.stripe, got, tc.state)
		}
		if got := DisputeCloses(tc.stripe); got != tc.closes {
			t.Errorf("DisputeCloses(%q) = %v, want %v", tc.stripe, got, tc.closes)
		}
	}
}
