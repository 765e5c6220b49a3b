package conversions

import (
	"context"
	"math/big"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ReportInput is a conversion the merchant's site reports (SPEC section
// 11), its shape already checked by the edge.
type ReportInput struct {
	// Tenant is the reporting tenant: the edge loads it first (through
	// its cache) to know whose personal token to expect.
	Tenant tracklane.Tenant
	// Trusted: reported with the tenant's personal token (the merchant's
	// server), not by a browser.
	Trusted bool
	Type    string // a conversion type code, not yet known to be the tenant's
	// Currency is the reported currency (lower case); "" is the tenant's.
	Currency string
	// Amount reads the reported amount in minor units of the currency the
	// report resolves to (Currency, else the tenant's): only the edge knows
	// the amount's wire formats, only the service the currency. nil is no
	// amount (0).
	Amount      func(currency string) (int64, error)
	CID         string   // the visitor's click id; "" when none (or not one)
	ExternalCID string   // the customer's email, folded; "" when not given
	ExternalID  string   // the site's id for it: a repeat of Type and ExternalID is the same conversion; "" = none
	CustomerID  string   // the site's id of the customer, kept as given
	CouponCodes []string // folded, in the order reported
	OriginID    string   // revenueOriginId; "" = the email link's, else the tenant's default
	Status      string   // Trackdesk's status (attribution.Status*), taken only when Trusted
	Params      map[string]string
}

// ReportResult is what a report came to.
type ReportResult struct {
	// ConversionID is the conversion's id: the new one, or the first one's
	// for a repeat of a type and externalId; "" when nothing attributes
	// the report (then nothing is stored).
	ConversionID string
	// Created: this report stored the conversion (false for a repeat, or
	// when nothing attributes it).
	Created bool
}

// Report records a conversion the merchant's site reports: Trackdesk's
// `conversion` command, from the tracker or server-side. The type must be
// one of the tenant's and the amount within the tenant's cap
// (unprocessable otherwise). A repeat of a type and ExternalID answers the
// first one's id and changes nothing. Otherwise it is attributed by
// attribution.DecideReported — the request's click, else the customer's
// email link, else a coupon — and stored in one insert; nothing
// attributes it → an empty ConversionID and nothing stored. From a browser
// it is unverified (pending, flagged browser_reported, its status
// ignored); trusted, its status is the merchant's decision.
func (s Service) Report(ctx context.Context, in ReportInput) (ReportResult, error) {
	t := in.Tenant
	report, err := s.reported(ctx, in)
	if err != nil {
		return ReportResult{}, err
	}
	if in.ExternalID != "" {
		id, err := s.Store.ReportedConversionID(ctx, t.ID, in.Type, in.ExternalID)
		if err == nil {
			return ReportResult{ConversionID: id}, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return ReportResult{}, err
		}
	}
	facts, err := s.Store.ReportedFacts(ctx, t.ID, in.CID, in.ExternalCID, in.CouponCodes)
	if err != nil {
		return ReportResult{}, err
	}
	report.Click, report.Links, report.Coupons, report.Affiliates = facts.Click, facts.Links, facts.Coupons, facts.Affiliates
	plan, ok := attribution.DecideReported(report)
	if !ok {
		return ReportResult{}, nil
	}
	if in.OriginID != "" {
		plan.OriginID = in.OriginID
	}
	id, created, err := s.Store.CreateReportedConversion(ctx, store.ReportedConversion{
		TenantID: t.ID, Plan: plan, ExternalCID: in.ExternalCID, Type: in.Type, ExternalID: in.ExternalID,
		CustomerID: in.CustomerID, Params: in.Params, Amount: report.Amount, Currency: report.Currency, At: report.Now,
	})
	if err != nil {
		return ReportResult{}, err
	}
	return ReportResult{ConversionID: id, Created: created}, nil
}

// reported checks what depends on the tenant — the type, the currency,
// the amount and its cap — and returns the rule's input without the
// attribution facts.
func (s Service) reported(ctx context.Context, in ReportInput) (attribution.Reported, error) {
	t := in.Tenant
	stored, max, err := s.Store.ReportedSettings(ctx, t.ID)
	if err != nil {
		return attribution.Reported{}, err
	}
	tenantCur := tracklane.TenantCurrency(t)
	typ, ok := tracklane.FindConversionType(tracklane.ResolveConversionTypes(tenantCur, stored), in.Type)
	if !ok {
		return attribution.Reported{}, apperr.Errorf(apperr.Unprocessable, "conversionType %q is not one of this tenant's conversion types", in.Type)
	}
	cur := in.Currency
	if cur == "" {
		cur = tenantCur
	}
	var amount int64
	if in.Amount != nil {
		if amount, err = in.Amount(cur); err != nil {
			return attribution.Reported{}, err
		}
	}
	if overCap(amount, cur, max, tenantCur) {
		return attribution.Reported{}, apperr.Errorf(apperr.Unprocessable,
			"amount is more than this tenant's maximum for a reported conversion (%s)", money.Format(max, tenantCur))
	}
	return attribution.Reported{
		Now: s.Now(), AttributionDays: t.AttributionDays, HoldDays: t.HoldDays, TenantRule: t.Commission,
		TypeRule: typ.Rule, CouponCodes: in.CouponCodes, ExternalCID: in.ExternalCID, Amount: amount, Currency: cur,
		Trusted: in.Trusted, Status: in.Status,
	}, nil
}

// overCap reports whether amount (minor units of currency) is more than
// max (minor units of the tenant's currency), compared in major units:
// the cap is a number of units of whatever currency is reported.
func overCap(amount int64, currency string, max int64, tenantCurrency string) bool {
	a := new(big.Int).Mul(big.NewInt(amount), pow10(money.Digits(tenantCurrency)))
	m := new(big.Int).Mul(big.NewInt(max), pow10(money.Digits(currency)))
	return a.Cmp(m) > 0
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }
