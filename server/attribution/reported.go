package attribution

import (
	"bytes"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Reported is everything known when the merchant's site reports a
// conversion (SPEC section 11): the candidates that could attribute it and
// the rules that price it.
type Reported struct {
	Now             time.Time
	AttributionDays int
	HoldDays        int
	TenantRule      conversion.Rule
	// TypeRule is the conversion type's rule; nil means the tenant's rule,
	// or the affiliate's override of it.
	TypeRule *conversion.Rule
	Click    *Click // the click the request names (cookie or body cid), if the tenant's
	Links    []Link // the links of ExternalCID
	// CouponCodes are the reported codes (folded) in their order; Coupons
	// the tenant's codes among them → affiliate id.
	CouponCodes []string
	Coupons     map[string]string
	Affiliates  map[string]ReportedAffiliate
	ExternalCID string // the customer's email, folded; "" when not given
	Amount      int64  // minor units of Currency
	Currency    string
	// Trusted: reported with the tenant's personal token (the merchant's
	// server). Status is the reported status, taken only when trusted.
	Trusted bool
	Status  string
	// Visitor is the keyed hash of the reporting browser (as Link.Visitor);
	// nil when Trusted.
	Visitor []byte
}

// ReportedAffiliate is what the rule needs of an affiliate.
type ReportedAffiliate struct {
	Email      string
	Active     bool             // only an active affiliate earns
	Commission *conversion.Rule // overrides the tenant's rule when set
}

// ReportedPlan is the conversion to create.
type ReportedPlan struct {
	Source      tracklane.Source
	AffiliateID string
	ClickID     string // "" for a coupon
	Coupon      string
	OriginID    string // the email link's revenue origin
	Flags       []string
	Rule        conversion.Rule
	Manual      string // the trusted reporter's decision, kept as the merchant's
	State       conversion.State
	History     string
}

// Trackdesk's status names, taken from a trusted reporter.
const (
	StatusApproved = "CONVERSION_STATUS_APPROVED"
	StatusPending  = "CONVERSION_STATUS_PENDING"
	StatusRejected = "CONVERSION_STATUS_REJECTED"
)

// DecideReported attributes a reported conversion, in the order of SPEC
// section 11: the request's click (within the attribution window), else
// the newest click linked to ExternalCID within the window, else the first
// reported coupon code assigned to an affiliate (no click, no window). A
// candidate whose affiliate is gone or not active is passed over. false:
// nothing attributes it, nothing is stored.
//
// A browser proves nothing but what it holds (SPEC section 14), so its
// report is attributed only by what that browser brought: its own click,
// an email link that the same browser made (same keyed visitor hash: same
// address, user agent and day), and a coupon of its own click's affiliate
// (a click past the window, say). Anything else would let anyone learn, by
// reporting a customer's email or a coupon code, whether it attributes —
// and leave a conversion in the merchant's list for each such probe. The
// merchant's server (Trusted) is attributed by every link and coupon.
//
// A browser's report is flagged browser_reported (the hold period never
// approves it alone) and its status ignored; a trusted one follows the
// hold period, or its status: approved and rejected are kept as the
// merchant's decision. Self-referral (ExternalCID is the affiliate's own
// email) rejects it, as for Stripe's.
func DecideReported(r Reported) (ReportedPlan, bool) {
	p, ok := r.candidate()
	if !ok {
		return ReportedPlan{}, false
	}
	aff := r.Affiliates[p.AffiliateID]
	p.Rule = r.TenantRule
	if aff.Commission != nil {
		p.Rule = *aff.Commission
	}
	if r.TypeRule != nil {
		p.Rule = *r.TypeRule
	}
	if !r.Trusted {
		p.Flags = append([]string{tracklane.FlagBrowserReported}, p.Flags...)
	} else {
		switch r.Status {
		case StatusApproved:
			p.Manual = conversion.ManualApproved
		case StatusRejected:
			p.Manual = conversion.ManualRejected
		}
	}
	f := conversion.Facts{
		Livemode: true, Gross: r.Amount, Currency: r.Currency, PaidAt: r.Now, HoldDays: r.HoldDays,
		Manual: p.Manual, Flagged: len(p.Flags) > 0,
		SelfReferral: SelfReferral(r.ExternalCID, aff.Email),
	}
	p.State = conversion.EvaluateReported(f, p.Rule, r.Now)
	p.History = r.history(p)
	return p, true
}

func (r Reported) candidate() (ReportedPlan, bool) {
	window := Window{r.AttributionDays}
	active := func(id string) bool { return r.Affiliates[id].Active }
	if c := r.Click; c != nil && window.Covers(c.CreatedAt, r.Now) && active(c.AffiliateID) {
		return ReportedPlan{Source: tracklane.SourceClickID, AffiliateID: c.AffiliateID, ClickID: c.ID}, true
	}
	var links []Link
	for _, l := range r.Links {
		if active(l.AffiliateID) && r.holds(l) {
			links = append(links, l)
		}
	}
	if l, ok := window.LinkFor(links, r.Now); ok {
		return ReportedPlan{Source: tracklane.SourceEmail, AffiliateID: l.AffiliateID, ClickID: l.ClickID,
			OriginID: l.OriginID, Flags: append([]string(nil), l.Flags...)}, true
	}
	for _, code := range r.CouponCodes {
		if aff, ok := r.Coupons[code]; ok && active(aff) && (r.Trusted || r.Click != nil && r.Click.AffiliateID == aff) {
			return ReportedPlan{Source: tracklane.SourceCoupon, AffiliateID: aff, Coupon: code}, true
		}
	}
	return ReportedPlan{}, false
}

// holds reports whether the reporter may be attributed by link l: the
// merchant's server by any, a browser only by one it made itself.
func (r Reported) holds(l Link) bool {
	return r.Trusted || len(r.Visitor) > 0 && bytes.Equal(l.Visitor, r.Visitor)
}

func (r Reported) history(p ReportedPlan) string {
	by := "reported by the site"
	if r.Trusted {
		by = "reported by the merchant's server"
	}
	s := "conversion " + by
	switch p.Source {
	case tracklane.SourceClickID:
		s += ", attributed by the visitor's click"
	case tracklane.SourceEmail:
		s += ", attributed by the customer's email link"
	case tracklane.SourceCoupon:
		s += ", attributed by coupon " + strings.ToUpper(p.Coupon)
	}
	if len(p.Flags) > 0 {
		s += ", flagged (" + strings.Join(p.Flags, ", ") + ")"
	}
	return s + ": " + p.State.Reason
}

// ReportedFacts is what the store knows that could attribute a conversion
// the merchant's site reports (DecideReported's inputs).
type ReportedFacts struct {
	Click      *Click
	Links      []Link
	Coupons    map[string]string // folded code → affiliate id, the tenant's among those asked
	Affiliates map[string]ReportedAffiliate
}

// ReportedExisting is what the replacement rule needs of the conversion
// already stored under a report's type and externalId.
type ReportedExisting struct {
	ID string
	// BrowserReported: it was reported by a browser (flagged
	// browser_reported) and no trusted report has replaced it.
	BrowserReported bool
	// InPayout: a payout, pending or paid, holds it (the merchant approved
	// the browser's report by hand), so its affiliate's payout counts on it.
	InPayout bool
}

// Replacement is what a report does to the conversion already stored
// under its type and externalId.
type Replacement int

const (
	// Keep: the stored conversion stands unchanged (a repeat; or a report
	// that may not change it).
	Keep Replacement = iota
	// Overwrite: the trusted report replaces the browser's in place, whole
	// (affiliate, click, amount, rule, status), under the same id, with a
	// history line.
	Overwrite
	// Supersede: the browser's, held by a payout, is rejected — the
	// payouts' ledger takes back what it paid or owes on it — and the
	// trusted report is stored beside it as a new conversion.
	Supersede
	// RejectClaim: nothing attributes the trusted report, so the browser's
	// claim to the order is rejected.
	RejectClaim
)

// Replace decides what a report does to the conversion e already stored
// under the same type and externalId (SPEC section 14): a trusted report
// replaces a browser's whole; nothing else changes a stored conversion —
// a browser's report never changes a trusted one, nor another browser's,
// and a trusted one never changes a trusted one (a repeat). attributed
// says whether anything attributes the new report.
func Replace(e ReportedExisting, trusted, attributed bool) Replacement {
	switch {
	case !trusted || !e.BrowserReported:
		return Keep
	case !attributed:
		return RejectClaim
	case e.InPayout:
		return Supersede
	}
	return Overwrite
}
