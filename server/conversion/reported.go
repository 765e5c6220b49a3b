package conversion

import (
	"strings"
	"time"
)

// PerConversion is the commission a rule gives a conversion the merchant's
// site reported: like Commission, except that a fixed rule pays its amount
// whatever the conversion's amount — a lead or a sign-up has none, and a
// fixed commission per lead is the point of it.
func (r Rule) PerConversion(amount int64, currency string) int64 {
	if r.Type != Fixed {
		return r.Commission(amount, currency)
	}
	if r.Currency != "" && !strings.EqualFold(r.Currency, currency) && amount > 0 {
		return 0 // a fixed amount in one currency says nothing of a sale in another
	}
	return r.Fixed
}

// EvaluateReported is Evaluate for a conversion the site reported: it has
// no refunds, disputes or subscription, so its facts are its amount, time,
// hold period, flags and the merchant's decision, and its commission is
// PerConversion's.
func EvaluateReported(f Facts, rule Rule, now time.Time) State {
	st := Evaluate(f, rule, now)
	switch {
	case st.Cause == CauseReceived && f.Flagged:
		st.Reason = st.words("reported; held for the merchant's review (flagged)")
	case st.Cause == CauseReceived:
		st.Reason = st.words("reported; pending until the hold period ends")
	}
	if st.Status != Refunded {
		st.Commission = rule.PerConversion(st.Amount, f.Currency)
	}
	return st
}
