package account

import (
	"context"
	"strconv"
	"strings"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionTypeStore keeps a tenant's conversion types and its cap on a
// reported amount (*store.Store).
type ConversionTypeStore interface {
	ConversionTypes(ctx context.Context, tenantID string) ([]tracklane.ConversionType, error)
	SetConversionType(ctx context.Context, tenantID string, ct tracklane.ConversionType) error
	DeleteConversionType(ctx context.Context, tenantID, code string) error
	MaxConversionAmount(ctx context.Context, tenantID string) (int64, error)
	SetMaxConversionAmount(ctx context.Context, tenantID string, minor int64) error
}

// ConversionTypeInput sets a conversion type: Rule nil means the tenant's
// own rule (what `sale` starts with).
type ConversionTypeInput struct {
	Code string
	Name string // "" keeps the current name, or makes one from the code
	Rule *conversion.Rule
}

// ConversionTypes returns the tenant's conversion types: sale and lead
// (as set, or their defaults) and the tenant's own, by code.
func (s Service) ConversionTypes(ctx context.Context, tenantID string) ([]tracklane.ConversionType, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.ConversionTypes(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return tracklane.ResolveConversionTypes(tracklane.TenantCurrency(t), stored), nil
}

// SetConversionType creates a conversion type or changes its name and
// rule, and returns it. A fixed rule without a currency takes the
// tenant's.
func (s Service) SetConversionType(ctx context.Context, tenantID string, in ConversionTypeInput) (tracklane.ConversionType, error) {
	code := strings.ToLower(strings.TrimSpace(in.Code))
	if !tracklane.ValidConversionTypeCode(code) {
		return tracklane.ConversionType{}, apperr.Errorf(apperr.Invalid, "a conversion type's code is 1 to 40 of a-z, 0-9, _ and -")
	}
	types, err := s.ConversionTypes(ctx, tenantID)
	if err != nil {
		return tracklane.ConversionType{}, err
	}
	ct, exists := tracklane.FindConversionType(types, code)
	ct.Code = code
	if strings.TrimSpace(in.Name) != "" || !exists {
		name := in.Name
		if strings.TrimSpace(name) == "" {
			name = code
		}
		if ct.Name, err = cleanName(name, "conversion type name"); err != nil {
			return tracklane.ConversionType{}, err
		}
	}
	ct.Rule = nil
	if in.Rule != nil {
		r := *in.Rule
		if r.Type == conversion.Fixed && r.Currency == "" {
			t, err := s.Store.Tenant(ctx, tenantID)
			if err != nil {
				return tracklane.ConversionType{}, err
			}
			r.Currency = tracklane.TenantCurrency(t)
		}
		if err := checkRule(r); err != nil {
			return tracklane.ConversionType{}, err
		}
		ct.Rule = &r
	}
	if err := s.Store.SetConversionType(ctx, tenantID, ct); err != nil {
		return tracklane.ConversionType{}, err
	}
	return ct, nil
}

// DeleteConversionType removes one of the tenant's types; sale and lead go
// back to their defaults.
func (s Service) DeleteConversionType(ctx context.Context, tenantID, code string) error {
	return s.Store.DeleteConversionType(ctx, tenantID, strings.ToLower(strings.TrimSpace(code)))
}

// MaxConversionAmount returns the tenant's cap on a reported amount (minor
// units of its currency, tracklane.TenantCurrency).
func (s Service) MaxConversionAmount(ctx context.Context, tenantID string) (int64, error) {
	return s.Store.MaxConversionAmount(ctx, tenantID)
}

// SetMaxConversionAmount sets the tenant's cap on a reported amount.
func (s Service) SetMaxConversionAmount(ctx context.Context, tenantID string, minor int64) error {
	if minor < 0 || minor > 1_000_000_000_00 {
		return apperr.Errorf(apperr.Invalid, "the maximum conversion amount must be a non-negative amount in minor units, at most 100000000000")
	}
	return s.Store.SetMaxConversionAmount(ctx, tenantID, minor)
}

// ParseConversionTypeSpec reads the CLI's CODE:percent:P, CODE:fixed:MINOR
// or CODE:tenant (the tenant's own rule).
func ParseConversionTypeSpec(spec string) (ConversionTypeInput, error) {
	parts := strings.Split(strings.TrimSpace(spec), ":")
	bad := apperr.Errorf(apperr.Invalid, "--conversion-type must be CODE:percent:P, CODE:fixed:MINOR or CODE:tenant, got %q", spec)
	in := ConversionTypeInput{Code: parts[0]}
	switch {
	case len(parts) == 2 && parts[1] == "tenant":
		return in, nil
	case len(parts) != 3:
		return in, bad
	case parts[1] == "percent":
		bp, err := conversion.ParsePercent(parts[2])
		if err != nil {
			return in, apperr.Errorf(apperr.Invalid, "--conversion-type %s: %v", parts[0], err)
		}
		in.Rule = &conversion.Rule{Type: conversion.Percent, BasisPoints: bp}
	case parts[1] == "fixed":
		n, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || n < 0 {
			return in, apperr.Errorf(apperr.Invalid, "--conversion-type %s: the fixed amount is a whole number of minor units (500 for $5.00)", parts[0])
		}
		in.Rule = &conversion.Rule{Type: conversion.Fixed, Fixed: n}
	default:
		return in, bad
	}
	return in, nil
}
