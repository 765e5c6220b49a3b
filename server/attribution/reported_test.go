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
			Click:       &Click{ID: "c1", AffiliateID: "a_click", CreatedAt: day(20)},
			Links:       []Link{{ID: 1, ClickID: "c2", ClickAt: day(15), AffiliateID: "a_link"}, {ID: 2, ClickID: "c3", ClickAt: day(1), AffiliateID: "a_click"}},
			CouponCodes: []string{"nope", "spring"}, Coupons: map[string]string{"spring": "a_coup"},
			Affiliates: active, ExternalCID: "buyer@example.com", Amount: 1000, Currency: "usd",
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
		{"no click, no link in the window: the coupon", func(r *Reported) { r.Click, r.Links = nil, r.Links[1:] }, "a_coup", tracklane.SourceCoupon, conversion.Pending, 200, 1},
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
