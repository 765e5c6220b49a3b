package dashboard

import (
	"strings"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/money"
)

// readRule turns the commission fields of a form into a rule: a percentage
// typed like "12.5" or a fixed amount typed in major units ("10.00") of a
// currency. Only the typing is read here; account checks the rule itself.
// typ "" means no rule (the affiliate follows the tenant's).
func readRule(typ, percent, amount, currency string) (*conversion.Rule, error) {
	switch typ {
	case "":
		return nil, nil
	case string(conversion.Percent):
		bp, err := conversion.ParsePercent(percent)
		if err != nil {
			return nil, apperr.Errorf(apperr.Invalid, "%v", err)
		}
		return &conversion.Rule{Type: conversion.Percent, BasisPoints: bp}, nil
	case string(conversion.Fixed):
		cur := strings.ToLower(strings.TrimSpace(currency))
		if cur == "" {
			return nil, apperr.Errorf(apperr.Invalid, "a fixed commission needs a currency, a three-letter ISO code like usd")
		}
		minor, err := money.Parse(amount, cur)
		if err != nil {
			return nil, apperr.Errorf(apperr.Invalid, "fixed commission: %v", err)
		}
		return &conversion.Rule{Type: conversion.Fixed, Fixed: minor, Currency: cur}, nil
	}
	return nil, apperr.Errorf(apperr.Invalid, "commission type must be percent or fixed")
}

// ruleFields renders a rule back into the form's fields.
func ruleFields(r *conversion.Rule) (typ, percent, amount, currency string) {
	if r == nil {
		return "", "", "", ""
	}
	if r.Type == conversion.Fixed {
		return string(r.Type), "", money.Decimal(r.Fixed, r.Currency), r.Currency
	}
	return string(r.Type), r.PercentString(), "", ""
}
