package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestRevenueOriginPolicy: a customer link and a conversion the site
// reports get their revenue origin by the same rule
// (tracklane.ChooseOrigin): none named or an id no tenant knows → the
// tenant's default, the tenant's own → it, another tenant's → 422 and
// nothing stored.
func TestRevenueOriginPolicy(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 1)
	otherID, _ := newClickTenant(t, st, 2) // another owner email
	origin := func(tenant string) string {
		var id string
		if err := st.DB().QueryRowContext(ctx, `SELECT id FROM revenue_origins WHERE tenant_id = $1 AND is_default`, tenant).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	def, theirs := origin(tenantID), origin(otherID)
	second, err := st.CreateRevenueOrigin(ctx, tenantID, "ro_second_"+tenantID, "Second site")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i, tc := range []struct {
		name, named, want string // want "" = refused
	}{
		{"none named", "", def},
		{"the tenant's own", second.ID, second.ID},
		{"unknown: a Trackdesk id", "00000000-0000-0000-0000-000000000000", def},
		{"another tenant's", theirs, ""},
	} {
		cid := fmt.Sprintf("k_origin_%d", i)
		if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: tenantID, AffiliateID: affs[0].ID, CreatedAt: now,
			VisitorHash: []byte(cid)}}); err != nil {
			t.Fatal(err)
		}
		l, err := st.CreateLink(ctx, tenantID, cid, fmt.Sprintf("buyer%d@example.com", i), tc.named)
		switch {
		case tc.want == "" && apperr.CodeOf(err) != apperr.Unprocessable:
			t.Errorf("link, %s: %v, want unprocessable", tc.name, err)
		case tc.want != "" && (err != nil || l.RevenueOriginID != tc.want):
			t.Errorf("link, %s: origin %q, %v; want %q", tc.name, l.RevenueOriginID, err, tc.want)
		}
		id, _, err := st.CreateReportedConversion(ctx, store.ReportedConversion{TenantID: tenantID, Type: "sale",
			ExternalID: cid, Amount: 1000, Currency: "usd", At: now,
			Plan: attribution.ReportedPlan{Source: tracklane.SourceClickID, AffiliateID: affs[0].ID, ClickID: cid, OriginID: tc.named,
				Rule: conversion.Rule{Type: conversion.Percent, BasisPoints: 2000}, State: conversion.State{Status: conversion.Pending}, History: "reported"}})
		if tc.want == "" {
			if apperr.CodeOf(err) != apperr.Unprocessable {
				t.Errorf("reported, %s: %v, want unprocessable", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("reported, %s: %v", tc.name, err)
		}
		if c, err := st.Conversion(ctx, tenantID, id); err != nil || c.RevenueOriginID != tc.want {
			t.Errorf("reported, %s: origin %q, %v; want %q", tc.name, c.RevenueOriginID, err, tc.want)
		}
	}
	var links, convs int
	if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM customer_links WHERE tenant_id = $1),
		(SELECT count(*) FROM conversions WHERE tenant_id = $1)`, tenantID).Scan(&links, &convs); err != nil || links != 3 || convs != 3 {
		t.Errorf("%d links, %d conversions, %v; want 3 of each (a refusal stores nothing)", links, convs, err)
	}
}
