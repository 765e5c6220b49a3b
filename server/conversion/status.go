package conversion

import "time"

// Status is a conversion's state.
type Status string

// The statuses. Only approved conversions are owed; pending ones may still
// be refunded or cancelled; test ones (Stripe test mode) count toward
// nothing.
const (
	Pending   Status = "pending"
	Approved  Status = "approved"
	Refunded  Status = "refunded"
	Cancelled Status = "cancelled"
	Disputed  Status = "disputed"
	Rejected  Status = "rejected"
	Test      Status = "test"
)

// Statuses lists every status, for filters and validation.
var Statuses = []Status{Pending, Approved, Refunded, Cancelled, Disputed, Rejected, Test}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Manual decisions a merchant can take in the dashboard.
const (
	ManualNone     = ""
	ManualApproved = "approved"
	ManualRejected = "rejected"
)

// Dispute states as far as a conversion cares.
const (
	DisputeNone   = ""
	DisputeOpen   = "open"   // needs_response, under_review, warning_*
	DisputeWon    = "won"    // or warning_closed: back to what it was
	DisputeLost   = "lost"   // the money is gone: refunded
	DisputeClosed = "closed" // warning_closed
)

// DisputeState maps a Stripe dispute status to a DisputeState.
func DisputeState(stripeStatus string) string {
	switch stripeStatus {
	case "":
		return DisputeNone
	case "won":
		return DisputeWon
	case "lost":
		return DisputeLost
	case "warning_closed":
		return DisputeClosed
	default:
		return DisputeOpen
	}
}

// Facts is everything known about one attributed payment. Conversions are
// a function of their facts, so the order in which Stripe's events arrive
// does not change the end state.
type Facts struct {
	Livemode     bool
	SelfReferral bool       // the customer's email is the affiliate's own
	Gross        int64      // paid, excluding tax, minor units
	Currency     string     // lower-case ISO code
	Refunded     int64      // cumulative refunds of the payment's charge
	Dispute      string     // a Dispute* constant
	CanceledAt   *time.Time // its subscription's cancellation, if any
	PaidAt       time.Time
	HoldDays     int
	Manual       string // a Manual* constant
	// Withdrawn: the recurring rule no longer covers the payment (an
	// earlier payment of the customer became its first attributed one).
	Withdrawn bool
	// Flagged: the link that attributed it raised a fraud signal; the hold
	// period does not approve it, the merchant decides.
	Flagged bool
	// Credited is what post-payment credit notes of its invoice gave back
	// other than by refund (to the customer's balance, or outside Stripe).
	Credited int64
}

// State is what a conversion shows.
type State struct {
	Status     Status
	Amount     int64
	Commission int64
	Reason     string // why, in words, for the history
}

// Evaluate computes a conversion's state at time now from its facts and
// commission rule. Precedence: test mode; rejection (self-referral,
// withdrawal by the recurring rule, or by the merchant); money gone (full refund, lost dispute); an open dispute;
// cancellation while still pending; approval (by the merchant, or after the
// hold period unless flagged); otherwise pending.
func Evaluate(f Facts, rule Rule, now time.Time) State {
	back := f.Refunded + f.Credited // what went back to the customer
	amount := f.Gross - back
	if amount < 0 {
		amount = 0
	}
	st := State{Amount: amount, Commission: rule.Commission(amount, f.Currency)}
	holdEnds := f.PaidAt.Add(time.Duration(f.HoldDays) * 24 * time.Hour)
	switch {
	case !f.Livemode:
		st.Status, st.Reason = Test, "test-mode payment"
	case f.SelfReferral:
		st.Status, st.Reason = Rejected, "self-referral: the customer is the affiliate"
	case f.Withdrawn:
		st.Status, st.Reason = Rejected, "withdrawn by the recurring rule: an earlier payment is the customer's first attributed one"
	case f.Manual == ManualRejected:
		st.Status, st.Reason = Rejected, "rejected by the merchant"
	case f.Gross > 0 && back >= f.Gross:
		st.Status, st.Reason = Refunded, "fully refunded"
		if f.Credited > 0 {
			st.Reason = "fully refunded or credited back"
		}
		st.Amount, st.Commission = 0, 0
	case f.Dispute == DisputeLost:
		st.Status, st.Reason = Refunded, "dispute lost"
		st.Amount, st.Commission = 0, 0
	case f.Dispute == DisputeOpen:
		st.Status, st.Reason = Disputed, "payment disputed"
	case f.CanceledAt != nil && !f.CanceledAt.Before(f.PaidAt) && f.CanceledAt.Before(holdEnds) && f.Manual != ManualApproved:
		st.Status, st.Reason = Cancelled, "subscription cancelled during the hold period"
	case f.Manual == ManualApproved:
		st.Status, st.Reason = Approved, "approved by the merchant"
	case f.Flagged && !now.Before(holdEnds):
		st.Status, st.Reason = Pending, "hold period ended; held for the merchant's review (flagged)"
	case !now.Before(holdEnds):
		st.Status, st.Reason = Approved, "hold period ended"
	default:
		st.Status, st.Reason = Pending, "payment received"
	}
	if f.Refunded > 0 && st.Status != Refunded {
		st.Reason += "; partially refunded"
	}
	if f.Credited > 0 && st.Status != Refunded {
		st.Reason += "; partly credited back"
	}
	if f.Dispute == DisputeWon || f.Dispute == DisputeClosed {
		st.Reason += "; dispute closed in the merchant's favour"
	}
	return st
}

// Eligible reports whether a payment at paidAt of a customer whose first
// attributed payment was firstPaidAt (isFirst: this is that payment) earns
// commission under the recurring rule.
func (r Recurring) Eligible(isFirst bool, firstPaidAt, paidAt time.Time) bool {
	switch r.Kind {
	case "first":
		return isFirst
	case "months":
		return isFirst || paidAt.Before(firstPaidAt.AddDate(0, r.Months, 0))
	default:
		return true
	}
}
