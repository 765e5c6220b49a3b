// Package conversion holds Tracklane's pure business rules: how a commission
// is computed, which payments of a customer earn one, and how a conversion's
// status moves with refunds, cancellations and disputes. It knows nothing of
// HTTP, SQL or Stripe's wire format.
package conversion

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// RuleType says how a commission is computed.
type RuleType string

const (
	Percent RuleType = "percent" // a share of the net amount
	Fixed   RuleType = "fixed"   // a fixed amount per payment
)

// Rule is a commission rule: a rate in basis points (2000 = 20%) or a fixed
// amount in minor units of Currency.
type Rule struct {
	Type        RuleType
	BasisPoints int64
	Fixed       int64
	Currency    string // for Fixed: lower-case ISO code
}

// DefaultRule is a new tenant's rule: 20% of every payment.
var DefaultRule = Rule{Type: Percent, BasisPoints: 2000}

// Commission returns the commission on amount (minor units of currency):
// round-half-up(amount × rate) for a percentage; the fixed amount for a
// fixed rule when the currencies agree (0 when they do not: a fixed
// commission in euros says nothing about a payment in yen), and 0 for a
// non-positive amount.
func (r Rule) Commission(amount int64, currency string) int64 {
	if amount <= 0 {
		return 0
	}
	switch r.Type {
	case Fixed:
		if r.Currency != "" && !strings.EqualFold(r.Currency, currency) {
			return 0
		}
		return r.Fixed
	default:
		// amount × bp / 10000, rounded half up, without overflow.
		n := new(big.Int).Mul(big.NewInt(amount), big.NewInt(r.BasisPoints))
		n.Add(n, big.NewInt(5000))
		n.Quo(n, big.NewInt(10000))
		return n.Int64()
	}
}

// PercentString renders the rate of a percent rule as a decimal ("20",
// "12.5").
func (r Rule) PercentString() string {
	s := strconv.FormatInt(r.BasisPoints/100, 10)
	if frac := r.BasisPoints % 100; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%02d", frac), "0")
	}
	return s
}

// ParsePercent parses a percentage with at most two decimals ("20",
// "12.5", "7.25") into basis points, refusing anything outside 0–100.
func ParsePercent(s string) (int64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasFrac && frac == "") {
		return 0, fmt.Errorf("percent must be a number with at most two decimals, like 20 or 12.5")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 {
		return 0, fmt.Errorf("percent must be a number with at most two decimals, like 20 or 12.5")
	}
	bp := w*100 + f
	if bp > 10000 {
		return 0, fmt.Errorf("percent must be between 0 and 100")
	}
	return bp, nil
}

// Recurring says which payments of an attributed customer earn commission.
type Recurring struct {
	Kind   string // "lifetime", "first" or "months"
	Months int    // for "months": payments within this many months of the first
}

// DefaultRecurring is a new tenant's: every payment, forever.
var DefaultRecurring = Recurring{Kind: "lifetime"}

// String renders the rule as the CLI takes it: lifetime, first, months:N.
func (r Recurring) String() string {
	if r.Kind == "months" {
		return "months:" + strconv.Itoa(r.Months)
	}
	return r.Kind
}

// ParseRecurring parses "lifetime", "first" or "months:N" (N ≥ 1).
func ParseRecurring(s string) (Recurring, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "lifetime" || s == "first":
		return Recurring{Kind: s}, nil
	case strings.HasPrefix(s, "months:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "months:"))
		if err != nil || n < 1 || n > 1200 {
			return Recurring{}, fmt.Errorf("months:N needs a whole number of months from 1 to 1200")
		}
		return Recurring{Kind: "months", Months: n}, nil
	}
	return Recurring{}, fmt.Errorf("recurring must be lifetime, first or months:N, got %q", s)
}
