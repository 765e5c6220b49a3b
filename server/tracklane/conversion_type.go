package tracklane

import (
	"regexp"

	"github.com/tracklane/tracklane/server/conversion"
)

// ConversionType is a kind of conversion the merchant's site reports
// (SPEC section 11) and its commission rule: `sale` and `lead` exist for
// every tenant, others are the merchant's.
type ConversionType struct {
	Code string // [a-z0-9_-]{1,40}
	Name string
	// Rule is the type's commission rule; nil means the tenant's own rule
	// (with an affiliate's override of it), which is what `sale` starts as.
	Rule *conversion.Rule
}

// The conversion types every tenant starts with.
const (
	ConversionTypeSale = "sale" // the tenant's rule until set
	ConversionTypeLead = "lead" // fixed 0 until set
)

// DefaultConversionTypes are the types a tenant has before setting any.
// currency is the tenant's currency (TenantCurrency), for lead's fixed rule.
func DefaultConversionTypes(currency string) []ConversionType {
	return []ConversionType{
		{Code: ConversionTypeSale, Name: "Sale"},
		{Code: ConversionTypeLead, Name: "Lead", Rule: &conversion.Rule{Type: conversion.Fixed, Currency: currency}},
	}
}

var conversionTypeCode = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

// ValidConversionTypeCode reports whether s can be a conversion type's code.
func ValidConversionTypeCode(s string) bool { return conversionTypeCode.MatchString(s) }

// TenantCurrency is the currency a tenant's site-reported amounts default
// to, and its maximum amount is counted in: the currency of its fixed
// commission when it has one, else usd.
func TenantCurrency(t Tenant) string {
	if t.Commission.Type == conversion.Fixed && t.Commission.Currency != "" {
		return t.Commission.Currency
	}
	return "usd"
}

// Origin says where a conversion came from.
type Origin string

// The origins of a conversion.
const (
	OriginStripe  Origin = "stripe"  // a Stripe payment the sync attributed
	OriginTracker Origin = "tracker" // reported by the merchant's site or server
)

// FlagBrowserReported marks a conversion the browser reported: nobody
// vouched for it, so the hold period alone never approves it.
const FlagBrowserReported = "browser_reported"

// DefaultMaxConversionAmount is a new tenant's cap on a reported amount,
// in minor units of the reported currency ($10,000.00, ¥1,000,000).
const DefaultMaxConversionAmount = 1_000_000

// ResolveConversionTypes returns a tenant's conversion types: the
// built-in ones (DefaultConversionTypes) as stored types override them,
// then the tenant's own, by code.
func ResolveConversionTypes(currency string, stored []ConversionType) []ConversionType {
	out := DefaultConversionTypes(currency)
	for _, st := range stored {
		replaced := false
		for i := range out {
			if out[i].Code == st.Code {
				out[i], replaced = st, true
			}
		}
		if !replaced {
			out = append(out, st)
		}
	}
	return out
}

// FindConversionType returns the type of code among types.
func FindConversionType(types []ConversionType, code string) (ConversionType, bool) {
	for _, t := range types {
		if t.Code == code {
			return t, true
		}
	}
	return ConversionType{}, false
}
