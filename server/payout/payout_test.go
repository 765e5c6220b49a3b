package payout

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestEarnsAndPayable(t *testing.T) {
	for _, tc := range []struct {
		status  conversion.Status
		earns   bool
		payable bool // when in no payout
	}{
		{conversion.Approved, true, true},
		{conversion.Pending, true, false},
		{conversion.Disputed, true, false},
		{conversion.Refunded, false, false},
		{conversion.Cancelled, false, false},
		{conversion.Rejected, false, false},
		{conversion.Test, false, false},
		{"", false, false},
		{"paid", false, false},
	} {
		if got := Earns(tc.status); got != tc.earns {
			t.Errorf("Earns(%q) = %v, want %v", tc.status, got, tc.earns)
		}
		want := int64(0)
		if tc.earns {
			want = 700
		}
		if got := Earned(tc.status, 700); got != want {
			t.Errorf("Earned(%q, 700) = %d, want %d", tc.status, got, want)
		}
		if got := Payable(tc.status, false); got != tc.payable {
			t.Errorf("Payable(%q, in no payout) = %v, want %v", tc.status, got, tc.payable)
		}
		if Payable(tc.status, true) {
			t.Errorf("Payable(%q, in a payout) = true: a conversion is paid once", tc.status)
		}
	}
	// Every status is decided: the list holds known statuses only.
	for _, s := range EarningStatuses {
		if !s.Valid() {
			t.Errorf("EarningStatuses holds %q, not a conversion status", s)
		}
	}
}

func TestSettle(t *testing.T) {
	for _, tc := range []struct {
		name           string
		payable, debts int64
		minimum        int64
		want           Settlement
	}{
		{"commission, no minimum", 900, 0, 0, Pays},
		{"exactly the minimum", 5000, 0, 5000, Pays},
		{"one below the minimum", 4999, 0, 5000, BelowMinimum},
		{"debts lower it below the minimum", 6000, -1500, 5000, BelowMinimum},
		{"debts still leave enough", 7000, -1500, 5000, Pays},
		{"debts eat it all", 1500, -1500, 0, CarriedOver},
		{"owes more than earned", 500, -1500, 0, CarriedOver},
		{"only debts", 0, -300, 0, CarriedOver},
		{"nothing", 0, 0, 0, CarriedOver},
		{"a debt taken back pays alone", 0, 300, 0, Pays},
	} {
		if got := Settle(tc.payable+tc.debts, tc.minimum); got != tc.want {
			t.Errorf("%s: Settle(%d, %d) = %d, want %d", tc.name, tc.payable+tc.debts, tc.minimum, got, tc.want)
		}
	}
}

func TestTransition(t *testing.T) {
	p, pd, c := tracklane.PayoutPending, tracklane.PayoutPaid, tracklane.PayoutCancelled
	for _, tc := range []struct {
		from, to tracklane.PayoutStatus
		ok       bool
		says     string
	}{
		{p, pd, true, ""},
		{p, c, true, ""},
		{pd, pd, false, "payout po_1 is paid; only a pending payout can be marked paid"},
		{pd, c, false, "payout po_1 is paid; only a pending payout can be cancelled"},
		{c, pd, false, "payout po_1 is cancelled; only a pending payout can be marked paid"},
		{c, c, false, "payout po_1 is cancelled; only a pending payout can be cancelled"},
		{p, p, false, "cannot become pending"},
		{pd, p, false, "cannot become pending"},
	} {
		err := Transition("po_1", tc.from, tc.to)
		if tc.ok {
			if err != nil {
				t.Errorf("%s → %s refused: %v", tc.from, tc.to, err)
			}
			continue
		}
		var ae *apperr.Error
		if err == nil || !errors.As(err, &ae) || ae.Code != apperr.Conflict || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s → %s: %v, want a conflict saying %q", tc.from, tc.to, err, tc.says)
		}
	}
}

func TestCheckPayable(t *testing.T) {
	for amount, ok := range map[int64]bool{1: true, 900: true, 0: false, -250: false} {
		err := CheckPayable("po_1", amount)
		if (err == nil) != ok {
			t.Errorf("CheckPayable(%d) = %v, want ok %v", amount, err, ok)
		}
		if err != nil && apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("CheckPayable(%d) = %v, want a conflict", amount, err)
		}
	}
}

func TestClawback(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     conversion.Status
		commission int64
		paid       int64
		recorded   int64
		want       int64
	}{
		{"still earns what was paid", conversion.Approved, 2000, 2000, 0, 0},
		{"fully refunded", conversion.Refunded, 0, 2000, 0, -2000},
		{"fully refunded, already recorded", conversion.Refunded, 0, 2000, -2000, 0},
		{"partly refunded", conversion.Approved, 1500, 2000, 0, -500},
		{"partly, then fully refunded", conversion.Refunded, 0, 2000, -500, -1500},
		{"rejected keeps its commission, earns nothing", conversion.Rejected, 2000, 2000, 0, -2000},
		{"rejection undone: the debt is taken back", conversion.Approved, 2000, 2000, -2000, 2000},
		{"disputed still earns", conversion.Disputed, 2000, 2000, 0, 0},
		{"dispute lost", conversion.Refunded, 0, 2000, 0, -2000},
		{"cancelled", conversion.Cancelled, 2000, 2000, 0, -2000},
		{"earns more than was paid: no credit beyond it", conversion.Approved, 2500, 2000, 0, 0},
		{"earns more again after a debt: the debt is taken back, no more", conversion.Approved, 2500, 2000, -500, 500},
		{"paid nothing", conversion.Refunded, 0, 0, 0, 0},
	} {
		if got := Clawback(tc.status, tc.commission, tc.paid, tc.recorded); got != tc.want {
			t.Errorf("%s: Clawback(%s, %d, paid %d, recorded %d) = %d, want %d", tc.name, tc.status, tc.commission, tc.paid, tc.recorded, got, tc.want)
		}
	}
}

// TestClawbackReason decides from the state's fields: a partial refund is
// named even when the reason's words are about something else.
func TestClawbackReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   conversion.State
		want string
	}{
		{"fully refunded", conversion.State{Status: conversion.Refunded, Reason: "fully refunded"}, "clawback: fully refunded"},
		{"dispute lost", conversion.State{Status: conversion.Refunded, Reason: "dispute lost"}, "clawback: dispute lost"},
		{"rejected", conversion.State{Status: conversion.Rejected, Reason: "rejected by the merchant"}, "clawback: rejected by the merchant"},
		{"cancelled", conversion.State{Status: conversion.Cancelled, Reason: "subscription cancelled during the hold period"}, "clawback: subscription cancelled during the hold period"},
		{"partly refunded", conversion.State{Status: conversion.Approved, PartiallyRefunded: true, Reason: "hold period ended; partially refunded"}, "clawback: partially refunded"},
		{"partly credited back", conversion.State{Status: conversion.Approved, PartlyCredited: true, Reason: "hold period ended; partly credited back"}, "clawback: partly credited back"},
		{"partly refunded, whatever the words", conversion.State{Status: conversion.Disputed, PartiallyRefunded: true, Reason: "payment disputed"}, "clawback: partially refunded"},
		{"words alone decide nothing", conversion.State{Status: conversion.Approved, Reason: "partially refunded"}, "adjustment: partially refunded"},
		{"rejection undone", conversion.State{Status: conversion.Approved, Reason: "approved by the merchant"}, "adjustment: approved by the merchant"},
	} {
		if got := ClawbackReason(tc.st); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// As Evaluate sets it: a partial refund after the hold period.
	paid := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	st := conversion.Evaluate(conversion.Facts{Livemode: true, Gross: 10000, Refunded: 2500, Currency: "usd", PaidAt: paid},
		conversion.Rule{Type: conversion.Percent, BasisPoints: 2000}, paid.AddDate(0, 1, 0))
	if got := ClawbackReason(st); got != "clawback: partially refunded" {
		t.Errorf("an evaluated partial refund (%+v): %q", st, got)
	}
}
