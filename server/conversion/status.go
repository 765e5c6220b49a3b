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

// closingDisputes is the one list of Stripe's dispute statuses that end a
// dispute, with what each means for a conversion; any other non-empty
// status is an open dispute.
var closingDisputes = map[string]string{"won": DisputeWon, "lost": DisputeLost, "warning_closed": DisputeClosed}

// DisputeState maps a Stripe dispute status to a DisputeState.
func DisputeState(stripeStatus string) string {
	if stripeStatus == "" {
		return DisputeNone
	}
	if st, ok := closingDisputes[stripeStatus]; ok {
		return st
	}
	return DisputeOpen
}

// DisputeCloses reports whether a Stripe dispute status ends the dispute
// (won, lost, warning_closed): where two statuses of one dispute are
// stamped the same second, the closing one is the later.
func DisputeCloses(stripeStatus string) bool {
	_, ok := closingDisputes[stripeStatus]
	return ok
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
	// Cause is the step of Evaluate's precedence that set Status.
	Cause Cause
	// PartiallyRefunded: part of the payment was refunded and the
	// conversion stands (at the lower amount); a full refund is Refunded.
	PartiallyRefunded bool
	// PartlyCredited: post-payment credit notes gave part of the payment
	// back other than by refund and the conversion stands (at the lower
	// amount).
	PartlyCredited bool
	// DisputeEnded: a dispute closed in the merchant's favour (won or
	// warning closed); the conversion is back to what it was.
	DisputeEnded bool
	Reason       string // why, in words, for the history; made from the fields above
}

// Cause is why Evaluate gave a conversion its status: one per step of its
// precedence. Decisions read it (and the state's other fields), never
// Reason's words.
type Cause int

// The causes, in Evaluate's order of precedence.
const (
	CauseReceived           Cause = iota // pending: the hold period runs
	CauseTestMode                        // test
	CauseSelfReferral                    // rejected
	CauseWithdrawn                       // rejected by the recurring rule
	CauseRejectedByMerchant              // rejected
	CauseFullyRefunded                   // refunded
	CauseFullyCredited                   // refunded: refunds and credit notes gave it all back
	CauseDisputeLost                     // refunded
	CauseDisputed                        // disputed
	CauseCancelled                       // cancelled during the hold period
	CauseApprovedByMerchant              // approved
	CauseHeldFlagged                     // pending after the hold period: flagged, the merchant decides
	CauseHoldEnded                       // approved
)

// words is each cause as the history says it.
var words = map[Cause]string{
	CauseReceived:           "payment received",
	CauseTestMode:           "test-mode payment",
	CauseSelfReferral:       "self-referral: the customer is the affiliate",
	CauseWithdrawn:          "withdrawn by the recurring rule: an earlier payment is the customer's first attributed one",
	CauseRejectedByMerchant: "rejected by the merchant",
	CauseFullyRefunded:      "fully refunded",
	CauseFullyCredited:      "fully refunded or credited back",
	CauseDisputeLost:        "dispute lost",
	CauseDisputed:           "payment disputed",
	CauseCancelled:          "subscription cancelled during the hold period",
	CauseApprovedByMerchant: "approved by the merchant",
	CauseHeldFlagged:        "hold period ended; held for the merchant's review (flagged)",
	CauseHoldEnded:          "hold period ended",
}

// String is the cause in the history's words.
func (c Cause) String() string { return words[c] }

// Evaluate computes a conversion's state at time now from its facts and
// commission rule. Precedence: test mode; rejection (self-referral,
// withdrawal by the recurring rule, or by the merchant); money gone (full refund or credit, lost dispute); an open dispute;
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
		st.Status, st.Cause = Test, CauseTestMode
	case f.SelfReferral:
		st.Status, st.Cause = Rejected, CauseSelfReferral
	case f.Withdrawn:
		st.Status, st.Cause = Rejected, CauseWithdrawn
	case f.Manual == ManualRejected:
		st.Status, st.Cause = Rejected, CauseRejectedByMerchant
	case f.Gross > 0 && back >= f.Gross:
		st.Status, st.Cause = Refunded, CauseFullyRefunded
		if f.Credited > 0 {
			st.Cause = CauseFullyCredited
		}
		st.Amount, st.Commission = 0, 0
	case f.Dispute == DisputeLost:
		st.Status, st.Cause = Refunded, CauseDisputeLost
		st.Amount, st.Commission = 0, 0
	case f.Dispute == DisputeOpen:
		st.Status, st.Cause = Disputed, CauseDisputed
	case f.CanceledAt != nil && !f.CanceledAt.Before(f.PaidAt) && f.CanceledAt.Before(holdEnds) && f.Manual != ManualApproved:
		st.Status, st.Cause = Cancelled, CauseCancelled
	case f.Manual == ManualApproved:
		st.Status, st.Cause = Approved, CauseApprovedByMerchant
	case f.Flagged && !now.Before(holdEnds):
		st.Status, st.Cause = Pending, CauseHeldFlagged
	case !now.Before(holdEnds):
		st.Status, st.Cause = Approved, CauseHoldEnded
	default:
		st.Status, st.Cause = Pending, CauseReceived
	}
	st.PartiallyRefunded = f.Refunded > 0 && st.Status != Refunded
	st.PartlyCredited = f.Credited > 0 && st.Status != Refunded
	st.DisputeEnded = f.Dispute == DisputeWon || f.Dispute == DisputeClosed
	st.Reason = st.words(st.Cause.String())
	return st
}

// words writes the history's reason: what the cause says (lead), then
// what the state's other fields add.
func (st State) words(lead string) string {
	if st.PartiallyRefunded {
		lead += "; partially refunded"
	}
	if st.PartlyCredited {
		lead += "; partly credited back"
	}
	if st.DisputeEnded {
		lead += "; dispute closed in the merchant's favour"
	}
	return lead
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
