// Package payout is the rule of paying affiliates (SPEC section 9): which
// conversions earn their commission and which are payable, when an
// affiliate's balance makes a payout, how a payout's status may move, and
// what an affiliate owes back when a conversion already paid for no
// longer earns (the clawback).
//
// It is pure — no SQL, no HTTP, no clock — so each rule has a table test.
// The store keeps the locks, the ledger and the statements and asks these
// functions; where a statement must apply a rule row by row, the store
// builds that SQL from the lists here (and a test checks the two agree),
// so the rule is written once.
package payout

import (
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// EarningStatuses are the statuses in which a conversion earns its
// commission: approved, and pending or disputed while it may still be
// approved. A refunded, cancelled, rejected or test conversion earns
// nothing (a rejected one keeps its computed commission, which must not
// be paid). A pending payout's amount follows what its conversions earn;
// a paid payout freezes it.
var EarningStatuses = []conversion.Status{conversion.Approved, conversion.Pending, conversion.Disputed}

// Earns reports whether a conversion in status s earns its commission.
func Earns(s conversion.Status) bool {
	for _, e := range EarningStatuses {
		if e == s {
			return true
		}
	}
	return false
}

// Earned is what a conversion in status s with that commission earns
// toward a payout: its commission, or nothing.
func Earned(s conversion.Status, commission int64) int64 {
	if Earns(s) {
		return commission
	}
	return 0
}

// PayableStatus is the one status whose commission is owed now: pending
// and disputed conversions earn, but wait.
const PayableStatus = conversion.Approved

// Payable reports whether a conversion's commission goes into the next
// payout: it is approved and in no payout, neither a paid one nor a
// pending one (cancelling a payout frees its conversions).
func Payable(s conversion.Status, inPayout bool) bool {
	return s == PayableStatus && !inPayout
}

// Settlement is what creating payouts does with an affiliate's balance in
// one currency.
type Settlement int

const (
	// Pays: the net is positive and at least the minimum: one payout
	// holds the payable commission and the open adjustments.
	Pays Settlement = iota
	// CarriedOver: the net is 0 or less (the affiliate owes more than
	// they earned): the debts wait for later commission.
	CarriedOver
	// BelowMinimum: positive, but less than the tenant's minimum.
	BelowMinimum
)

// Settle says what a balance does, where net is the payable commission
// plus the open adjustments (debts are negative) and minimum is the
// tenant's payout minimum in that currency's minor units (0: any positive
// amount pays).
func Settle(net, minimum int64) Settlement {
	switch {
	case net <= 0:
		return CarriedOver
	case net < minimum:
		return BelowMinimum
	}
	return Pays
}

// Transition checks that payout id, now in status from, may move to
// status to: only a pending payout can be paid or cancelled; paid and
// cancelled are final. A refusal is a conflict that names the payout.
func Transition(id string, from, to tracklane.PayoutStatus) error {
	done := map[tracklane.PayoutStatus]string{tracklane.PayoutPaid: "marked paid", tracklane.PayoutCancelled: "cancelled"}[to]
	if done == "" {
		return apperr.Errorf(apperr.Conflict, "payout %s cannot become %s", id, to)
	}
	if from != tracklane.PayoutPending {
		return apperr.Errorf(apperr.Conflict, "payout %s is %s; only a pending payout can be %s", id, from, done)
	}
	return nil
}

// CheckPayable checks that a pending payout that comes to amount (as it
// reads now: refunds since its creation lower it) can be marked paid:
// there must be something to pay; otherwise it is to be cancelled.
func CheckPayable(id string, amount int64) error {
	if amount <= 0 {
		return apperr.Errorf(apperr.Conflict, "payout %s comes to %d after refunds: nothing to pay; cancel it instead", id, amount)
	}
	return nil
}

// Clawback is the clawback ledger entry that brings a paid-for
// conversion up to date: paid is the commission a paid payout paid for
// it, status and commission what it is now, recorded the sum of its
// entries so far. The entries must sum to min(0, earned now − paid): what
// the affiliate was paid and no longer earns, never more than was paid
// and never a credit beyond it. A negative entry is a debt, a positive
// one a debt taken back (a rejection undone); 0 means nothing to record.
func Clawback(status conversion.Status, commission, paid, recorded int64) int64 {
	return min(0, Earned(status, commission)-paid) - recorded
}

// ClawbackReason words a ledger entry from the conversion's new state:
// a clawback when it no longer stands (refunded, rejected, cancelled) or
// stands at a lower amount (partly refunded or credited back), otherwise
// an adjustment.
func ClawbackReason(st conversion.State) string {
	switch {
	case st.Status == conversion.Refunded || st.Status == conversion.Rejected || st.Status == conversion.Cancelled:
		return "clawback: " + st.Reason
	case st.PartiallyRefunded:
		return "clawback: partially refunded"
	case st.PartlyCredited:
		return "clawback: partly credited back"
	}
	return "adjustment: " + st.Reason
}
