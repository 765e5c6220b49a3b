package attribution

import (
	"testing"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestDecideReported(t *testing.T) {
	now := day(40)
	active := map[string]ReportedAffiliate{
		"a_click": {Email: "click@aff.example", Active: true},
		"a_link":  {Email: "link@aff.example", Active: true, Commission: &conversion.Rule{Type: conversion.Percent, BasisPoints: 5000}},
		"a_coup":  {Email: "coupon@aff.example", Active: true},
		"a_gone":  {Email: "gone@aff.example"},
	}
	base := func() Reported {
		return Reported{
			Now: now, AttributionDays: 30, HoldDays: 0, TenantRule: conversion.Rule{Type: conversion.Percent, BasisPoints: 2000},
			Click: &Click{ID: "c1", AffiliateID: "a_click", CreatedAt: day(20)},
			Links: []Link{{ID: 1, ClickID: "c2", ClickAt: day(15), AffiliateID: "a_link", Visitor: []byte("v1")},
				{ID: 2, ClickID: "c3", ClickAt: day(1), AffiliateID: "a_click", Visitor: []byte("v1")}},
			CouponCodes: []string{"nope", "spring"}, Coupons: map[string]string{"spring": "a_coup"},
			Affiliates: active, ExternalCID: "buyer@example.com", Amount: 1000, Currency: "usd", Visitor: []byte("v1"),
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Reported)
		aff    string
		source tracklane.Source
		status conversion.Status
		comm   int64
		flags  int
	}{
		{"the click wins; a browser's report waits", func(r *Reported) {}, "a_click", tracklane.SourceClickID, conversion.Pending, 200, 1},
		{"a click out of the window falls to the link", func(r *Reported) { r.Click.CreatedAt = day(9) }, "a_link", tracklane.SourceEmail, conversion.Pending, 500, 1},
		{"an inactive affiliate's click falls to the link", func(r *Reported) { r.Click.AffiliateID = "a_gone" }, "a_link", tracklane.SourceEmail, conversion.Pending, 500, 1},
		{"no click in the window, no link in the window: the coupon of the click's affiliate", func(r *Reported) {
			r.Click, r.Links = &Click{ID: "c9", AffiliateID: "a_coup", CreatedAt: day(1)}, r.Links[1:]
		}, "a_coup", tracklane.SourceCoupon, conversion.Pending, 200, 1},
		{"trusted, no click, no link in the window: the coupon", func(r *Reported) { r.Trusted, r.Click, r.Links = true, nil, r.Links[1:] },
			"a_coup", tracklane.SourceCoupon, conversion.Approved, 200, 0},
		{"the type's rule beats the affiliate's", func(r *Reported) {
			r.Click = nil
			r.TypeRule = &conversion.Rule{Type: conversion.Fixed, Fixed: 300, Currency: "usd"}
		}, "a_link", tracklane.SourceEmail, conversion.Pending, 300, 1},
		{"trusted: the hold period approves", func(r *Reported) { r.Trusted = true }, "a_click", tracklane.SourceClickID, conversion.Approved, 200, 0},
		{"trusted pending within the hold", func(r *Reported) { r.Trusted, r.HoldDays = true, 30 }, "a_click", tracklane.SourceClickID, conversion.Pending, 200, 0},
		{"trusted approved status", func(r *Reported) { r.Trusted, r.HoldDays, r.Status = true, 30, StatusApproved }, "a_click", tracklane.SourceClickID, conversion.Approved, 200, 0},
		{"trusted rejected status", func(r *Reported) { r.Trusted, r.Status = true, StatusRejected }, "a_click", tracklane.SourceClickID, conversion.Rejected, 200, 0},
		{"a browser's status is ignored", func(r *Reported) { r.Status = StatusApproved }, "a_click", tracklane.SourceClickID, conversion.Pending, 200, 1},
		{"self-referral", func(r *Reported) { r.ExternalCID = "click@aff.example" }, "a_click", tracklane.SourceClickID, conversion.Rejected, 200, 1},
		{"a fixed lead with no amount", func(r *Reported) {
			r.Amount, r.TypeRule = 0, &conversion.Rule{Type: conversion.Fixed, Fixed: 250, Currency: "usd"}
		}, "a_click", tracklane.SourceClickID, conversion.Pending, 250, 1},
	} {
		r := base()
		tc.change(&r)
		p, ok := DecideReported(r)
		if !ok {
			t.Errorf("%s: not attributed", tc.name)
			continue
		}
		if p.AffiliateID != tc.aff || p.Source != tc.source || p.State.Status != tc.status || p.State.Commission != tc.comm || len(p.Flags) != tc.flags {
			t.Errorf("%s: %s by %s, %s, commission %d, flags %v; want %s by %s, %s, %d, %d flags",
				tc.name, p.AffiliateID, p.Source, p.State.Status, p.State.Commission, p.Flags, tc.aff, tc.source, tc.status, tc.comm, tc.flags)
		}
	}
	r := base()
	r.Click, r.Links, r.CouponCodes = nil, nil, []string{"nope"}
	if _, ok := DecideReported(r); ok {
		t.Error("attributed with nothing to attribute it")
	}
}

// A browser is attributed only by what it holds: its own click, a link it
// made itself, a coupon of its own click's affiliate. The merchant's
// server by any of them.
func TestDecideReportedFromABrowser(t *testing.T) {
	now := day(40)
	affs := map[string]ReportedAffiliate{"a_link": {Active: true}, "a_coup": {Active: true}, "a_other": {Active: true}}
	link := func(visitor string) []Link {
		var v []byte
		if visitor != "" {
			v = []byte(visitor)
		}
		return []Link{{ID: 1, ClickID: "c2", ClickAt: day(35), AffiliateID: "a_link", Visitor: v}}
	}
	stale := func(aff string) *Click { return &Click{ID: "c9", AffiliateID: aff, CreatedAt: day(1)} }
	for _, tc := range []struct {
		name    string
		r       Reported
		want    string // affiliate; "" = not attributed
		wantSrc tracklane.Source
	}{
		{"a link made by this browser", Reported{Visitor: []byte("me"), Links: link("me")}, "a_link", tracklane.SourceEmail},
		{"a link made by another browser", Reported{Visitor: []byte("me"), Links: link("them")}, "", ""},
		{"a link made by the merchant's server", Reported{Visitor: []byte("me"), Links: link("")}, "", ""},
		{"no visitor hash matches no link", Reported{Links: link("")}, "", ""},
		{"a coupon without a click", Reported{Visitor: []byte("me"), CouponCodes: []string{"spring"}}, "", ""},
		{"a coupon of the stale click's affiliate", Reported{Visitor: []byte("me"), Click: stale("a_coup"), CouponCodes: []string{"spring"}},
			"a_coup", tracklane.SourceCoupon},
		{"a coupon of another affiliate than the click's", Reported{Visitor: []byte("me"), Click: stale("a_other"), CouponCodes: []string{"spring"}}, "", ""},
		{"trusted: another browser's link", Reported{Trusted: true, Links: link("them")}, "a_link", tracklane.SourceEmail},
		{"trusted: the merchant's server's link", Reported{Trusted: true, Links: link("")}, "a_link", tracklane.SourceEmail},
		{"trusted: a coupon without a click", Reported{Trusted: true, CouponCodes: []string{"spring"}}, "a_coup", tracklane.SourceCoupon},
	} {
		r := tc.r
		r.Now, r.AttributionDays, r.Affiliates, r.Coupons = now, 30, affs, map[string]string{"spring": "a_coup"}
		p, ok := DecideReported(r)
		if tc.want == "" {
			if ok {
				t.Errorf("%s: attributed to %s by %s, want nothing", tc.name, p.AffiliateID, p.Source)
			}
			continue
		}
		if !ok || p.AffiliateID != tc.want || p.Source != tc.wantSrc {
			t.Errorf("%s: %v %s by %s, want %s by %s", tc.name, ok, p.AffiliateID, p.Source, tc.want, tc.wantSrc)
		}
	}
}

// Trusted replaces untrusted; untrusted never changes trusted; a browser's
// report held by a payout is superseded rather than rewritten.
func TestReplace(t *testing.T) {
	browser := ReportedExisting{ID: "cv_1", BrowserReported: true}
	paid := ReportedExisting{ID: "cv_1", BrowserReported: true, InPayout: true}
	trusted := ReportedExisting{ID: "cv_1"}
	for _, tc := range []struct {
		name                string
		e                   ReportedExisting
		trusted, attributed bool
		want                Replacement
	}{
		{"trusted over a browser's", browser, true, true, Overwrite},
		{"trusted, attributed to no one, over a browser's", browser, true, false, RejectClaim},
		{"trusted over a browser's held by a payout", paid, true, true, Supersede},
		{"trusted, attributed to no one, over a browser's held by a payout", paid, true, false, RejectClaim},
		{"a browser over a browser's", browser, false, true, Keep},
		{"a browser over a trusted one", trusted, false, true, Keep},
		{"a browser attributed to no one over a trusted one", trusted, false, false, Keep},
		{"trusted over a trusted one (a repeat)", trusted, true, true, Keep},
		{"trusted, attributed to no one, over a trusted one", trusted, true, false, Keep},
	} {
		if got := Replace(tc.e, tc.trusted, tc.attributed); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
