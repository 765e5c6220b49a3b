package cli

import (
	"context"
	"encoding/json"
	"flag"
	"strconv"
	"strings"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// provisioner is what a provisioning command works with: the account
// service, the same one behind the dashboard and the API, so a change made
// here has the same checks and side effects. Commands only parse flags and
// print.
type provisioner struct {
	accounts  account.Service
	publicURL string
}

type tenantCreated struct {
	TenantID        string `json:"tenant_id"`
	PersonalToken   string `json:"personal_token"`
	RevenueOriginID string `json:"revenue_origin_id"`
	Email           string `json:"email"`
	PortalURL       string `json:"portal_url"`
}

func tenantCreate(args []string) (action, error) {
	fs := newFlags("tenant create")
	var in account.NewTenantInput
	fs.StringVar(&in.Name, "name", "", "")
	fs.StringVar(&in.Email, "email", "", "")
	fs.StringVar(&in.Password, "password", "", "")
	fs.StringVar(&in.Website, "website", "", "")
	if err := parse(fs, args, "name", "email", "password"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		r, err := svc.accounts.CreateTenant(ctx, in)
		if err != nil {
			return nil, err
		}
		return tenantCreated{TenantID: r.Tenant.ID, PersonalToken: r.PersonalToken, RevenueOriginID: r.RevenueOriginID, Email: r.Email,
			PortalURL: svc.accounts.PortalURL(r.Tenant)}, nil
	}, nil
}

type affiliateCreated struct {
	AffiliateID string   `json:"affiliate_id"`
	Code        string   `json:"code"`
	Link        string   `json:"link"`
	Coupons     []string `json:"coupons,omitempty"`
	InviteURL   string   `json:"invite_url,omitempty"`
}

// repeated is a flag that may be given several times (--coupon A --coupon B).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func affiliateCreate(args []string) (action, error) {
	fs := newFlags("affiliate create")
	tenant := fs.String("tenant", "", "")
	var in account.AffiliateInput
	fs.StringVar(&in.Name, "name", "", "")
	fs.StringVar(&in.Email, "email", "", "")
	fs.StringVar(&in.Code, "code", "", "")
	fs.StringVar(&in.LandingURL, "landing", "", "")
	var coupons repeated
	fs.Var(&coupons, "coupon", "")
	invite := fs.Bool("invite", false, "")
	if err := parse(fs, args, "tenant", "name", "email"); err != nil {
		return nil, err
	}
	in.Coupons = coupons
	return func(ctx context.Context, svc provisioner) (any, error) {
		a, err := svc.accounts.CreateAffiliate(ctx, *tenant, in)
		if err != nil {
			return nil, err
		}
		out := affiliateCreated{AffiliateID: a.ID, Code: a.Code, Link: account.Link(svc.publicURL, a.Code), Coupons: upperAll(a.Coupons)}
		if *invite {
			inv, err := svc.accounts.InviteAffiliate(ctx, *tenant, a.ID)
			if err != nil {
				return nil, err
			}
			out.InviteURL = inv.Link
		}
		return out, nil
	}, nil
}

type tokenCreated struct {
	PersonalToken string `json:"personal_token"`
}

func tokenCreate(args []string) (action, error) {
	fs := newFlags("token create")
	tenant := fs.String("tenant", "", "")
	name := fs.String("name", "", "")
	if err := parse(fs, args, "tenant", "name"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		tok, err := svc.accounts.CreateToken(ctx, *tenant, *name)
		if err != nil {
			return nil, err
		}
		return tokenCreated{PersonalToken: tok}, nil
	}, nil
}

// SettingsJSON is a tenant's settings as the CLI prints them.
type SettingsJSON struct {
	TenantID          string      `json:"tenant_id"`
	Name              string      `json:"name"`
	Website           string      `json:"website"`
	HoldDays          int         `json:"hold_days"`
	CookieDays        int         `json:"cookie_days"`
	AttributionDays   int         `json:"attribution_days"`
	CommissionType    string      `json:"commission_type"`
	CommissionPercent json.Number `json:"commission_percent,omitempty"`
	CommissionFixed   *int64      `json:"commission_fixed"`
	Currency          *string     `json:"currency"`
	Recurring         string      `json:"recurring"`
	Timezone          string      `json:"timezone"`
	AllowedHosts      []string    `json:"allowed_hosts"`
	Slug              string      `json:"slug"`
	AffiliateApproval string      `json:"affiliate_approval"`
	PayoutMinimum     int64       `json:"payout_minimum"`
}

// Settings renders a tenant's settings.
func Settings(t tracklane.Tenant) SettingsJSON {
	s := SettingsJSON{
		TenantID: t.ID, Name: t.Name, Website: t.Website, HoldDays: t.HoldDays, CookieDays: t.CookieDays,
		AttributionDays: t.AttributionDays, CommissionType: string(t.Commission.Type),
		Recurring: t.Recurring.String(), Timezone: t.Timezone, AllowedHosts: t.AllowedHosts,
		Slug: t.Slug, AffiliateApproval: string(t.AffiliateApproval),
		PayoutMinimum: t.PayoutMinimum,
	}
	if s.AllowedHosts == nil {
		s.AllowedHosts = []string{}
	}
	s.CommissionPercent, s.CommissionFixed, s.Currency = apishape.Commission(t.Commission)
	return s
}

func tenantUpdate(args []string) (action, error) {
	fs := newFlags("tenant update")
	tenant := fs.String("tenant", "", "")
	var in account.SettingsInput
	intFlag(fs, "hold-days", &in.HoldDays)
	intFlag(fs, "cookie-days", &in.CookieDays)
	intFlag(fs, "attribution-days", &in.AttributionDays)
	percent := fs.String("commission-percent", "", "")
	fixed := fs.String("commission-fixed", "", "")
	currency := fs.String("currency", "", "")
	recurring := fs.String("recurring", "", "")
	timezone := fs.String("timezone", "", "")
	reported := newReportedFlags(fs)
	slug := fs.String("slug", "", "")
	approval := fs.String("affiliate-approval", "", "")
	fs.Func("payout-minimum", "", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return apperr.Errorf(apperr.Invalid, "--payout-minimum must be a whole amount in minor units (e.g. 5000 for $50.00)")
		}
		in.PayoutMinimum = &n
		return nil
	})
	if err := parse(fs, args, "tenant"); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["commission-percent"] && set["commission-fixed"]:
		return nil, apperr.Errorf(apperr.Invalid, "give --commission-percent or --commission-fixed, not both")
	case set["commission-percent"]:
		bp, err := conversion.ParsePercent(*percent)
		if err != nil {
			return nil, apperr.Errorf(apperr.Invalid, "--commission-percent: %v", err)
		}
		in.Commission = &conversion.Rule{Type: conversion.Percent, BasisPoints: bp}
	case set["commission-fixed"]:
		n, err := strconv.ParseInt(*fixed, 10, 64)
		if err != nil || n < 0 {
			return nil, apperr.Errorf(apperr.Invalid, "--commission-fixed must be a whole amount in minor units (e.g. 500 for $5.00)")
		}
		if !set["currency"] {
			return nil, apperr.Errorf(apperr.Invalid, "--commission-fixed needs --currency (e.g. usd)")
		}
		in.Commission = &conversion.Rule{Type: conversion.Fixed, Fixed: n, Currency: strings.ToLower(strings.TrimSpace(*currency))}
	case set["currency"]:
		return nil, apperr.Errorf(apperr.Invalid, "--currency goes with --commission-fixed")
	}
	if set["recurring"] {
		r, err := conversion.ParseRecurring(*recurring)
		if err != nil {
			return nil, apperr.Errorf(apperr.Invalid, "--recurring: %v", err)
		}
		in.Recurring = &r
	}
	if set["timezone"] {
		in.Timezone = timezone
	}
	if set["slug"] {
		in.Slug = slug
	}
	if set["affiliate-approval"] {
		in.AffiliateApproval = approval
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		t, err := svc.accounts.UpdateSettings(ctx, *tenant, in)
		if err != nil {
			return nil, err
		}
		return reported.apply(ctx, svc, t.ID, Settings(t))
	}, nil
}

// intFlag defines an optional integer flag that sets *dst only when given.
func intFlag(fs *flag.FlagSet, name string, dst **int) {
	fs.Func(name, "", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return apperr.Errorf(apperr.Invalid, "--%s must be a whole number", name)
		}
		*dst = &n
		return nil
	})
}

// upperAll writes promotion codes as merchants type them in Stripe.
func upperAll(codes []string) []string {
	var out []string
	for _, c := range codes {
		out = append(out, strings.ToUpper(c))
	}
	return out
}
