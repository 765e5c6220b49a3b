package conversions

import (
	"context"
	"errors"

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
	// Visitor is the keyed hash of the reporting browser (tracking's
	// visitor hash, keyed by the day): a browser's report is attributed by
	// an email link only if that browser made it. nil when Trusted.
	Visitor []byte
}

// ReportResult is what a report came to.
type ReportResult struct {
	// ConversionID answers the report. To the merchant's server (Trusted)
	// it is the conversion's id — the new one, the one a repeat of a type
	// and externalId already has, or the one the report replaced — and ""
	// when nothing attributes the report (nothing is stored). To a browser
	// it is opaque: an id of the same form whether or not anything was
	// stored, the same again for a repeat of a type and externalId (a
	// browser must not learn whether a customer or a coupon attributes).
	ConversionID string
	// Created: this report stored a new conversion.
	Created bool
	// Replaced: this trusted report replaced a browser's conversion of
	// the same type and externalId (attribution.Replace).
	Replaced bool
}

// Report records a conversion the merchant's site reports: Trackdesk's
// `conversion` command, from the tracker or server-side. The type must be
// one of the tenant's and the amount within the tenant's cap
// (unprocessable otherwise). It is attributed by
// attribution.DecideReported — the request's click, else the customer's
// email link, else a coupon; a browser only by what it holds — and stored
// in one insert; nothing attributes it → nothing stored. From a browser it
// is unverified (pending, flagged browser_reported, its status ignored);
// trusted, its status is the merchant's decision.
//
// A conversion of the same type and ExternalID already stored stands —
// the report changes nothing — unless the report is trusted and the stored
// one a browser's: then the trusted report replaces it whole, and one that
// nothing attributes rejects the browser's claim (attribution.Replace).
func (s Service) Report(ctx context.Context, in ReportInput) (ReportResult, error) {
	if len(s.IDKey) == 0 {
		return ReportResult{}, errors.New("conversions: the service has no IDKey")
	}
	report, err := s.reported(ctx, in)
	if err != nil {
		return ReportResult{}, err
	}
	res, err := s.report(ctx, in, report)
	if err != nil || in.Trusted {
		return res, err
	}
	switch {
	case in.ExternalID != "":
		res.ConversionID = s.reportID(in.Tenant.ID, in.Type, in.ExternalID)
	case res.ConversionID == "":
		res.ConversionID = s.reportID(in.Tenant.ID, in.Type, "")
	}
	return res, nil
}

// report runs Report once its input is checked; its ConversionID is the
// stored conversion's, "" when none.
func (s Service) report(ctx context.Context, in ReportInput, report attribution.Reported) (ReportResult, error) {
	t := in.Tenant
	exists := false
	if in.ExternalID != "" {
		e, err := s.Store.ReportedByExternalID(ctx, t.ID, in.Type, in.ExternalID)
		switch {
		case err == nil && attribution.Replace(e, in.Trusted, true) == attribution.Keep:
			return ReportResult{ConversionID: e.ID}, nil
		case err == nil:
			exists = true
		case !apperr.Is(err, apperr.NotFound):
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
		if in.Trusted && in.ExternalID != "" {
			_, err := s.Store.RejectReportedClaim(ctx, t.ID, in.Type, in.ExternalID)
			return ReportResult{}, err
		}
		return ReportResult{}, nil
	}
	if in.OriginID != "" {
		plan.OriginID = in.OriginID
	}
	r := store.ReportedConversion{
		ID: s.reportID(t.ID, in.Type, in.ExternalID), TenantID: t.ID, Plan: plan, ExternalCID: in.ExternalCID, Type: in.Type,
		ExternalID: in.ExternalID, CustomerID: in.CustomerID, Params: in.Params, Amount: report.Amount, Currency: report.Currency,
		At: report.Now,
	}
	if !exists {
		id, created, err := s.Store.CreateReportedConversion(ctx, r)
		if err != nil || created || !in.Trusted {
			return ReportResult{ConversionID: id, Created: created}, err
		}
	}
	// Trusted, and a conversion of the order is stored already.
	id, replaced, err := s.Store.ReplaceReportedConversion(ctx, r)
	return ReportResult{ConversionID: id, Replaced: replaced}, err
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
	if overCap(amount, max) {
		return attribution.Reported{}, apperr.Errorf(apperr.Unprocessable,
			"amount is more than this tenant's maximum for a reported conversion (%s)", money.Format(max, cur))
	}
	return attribution.Reported{
		Now: s.Now(), AttributionDays: t.AttributionDays, HoldDays: t.HoldDays, TenantRule: t.Commission,
		TypeRule: typ.Rule, CouponCodes: in.CouponCodes, ExternalCID: in.ExternalCID, Amount: amount, Currency: cur,
		Trusted: in.Trusted, Status: in.Status, Visitor: in.Visitor,
	}, nil
}

// overCap reports whether amount is more than the tenant's cap max, both
// counted in minor units of the reported currency. Without exchange rates
// a minor unit is the nearer proxy for value: a cap of 1,000,000 is
// $10,000.00, ¥1,000,000 and 1,000.000 KWD, where counting major units
// would allow ¥10,000 and 10,000 KWD, 500 times apart.
func overCap(amount, max int64) bool { return amount > max }
