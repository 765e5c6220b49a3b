package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// An affiliate signs in to the portal from their browser (user agent and
// IP), then links a customer's email to their own click from that browser:
// the link, and the conversion it attributes, carry affiliate_own_browser
// and the conversion waits for the merchant. Another user agent or another
// IP (behind a trusted proxy) is another browser: no flag.
func TestEmailLinkFromTheAffiliatesPortalBrowserIsFlagged(t *testing.T) {
	app := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32,::1/128"})
	p := newProgram(t, app, "Own Browser Shop", tracklane.ApprovalManual)
	noHold(t, app, p.ID)
	_, aff := member(t, app, p, "selfie")

	const ua, ip = "Mozilla/5.0 (X11; Linux x86_64) affiliate-laptop", "203.0.113.7"
	v := newVisitor(t, app)
	v.header = http.Header{"User-Agent": {ua}, "X-Forwarded-For": {ip}}
	if a := v.login(p.Slug, aff.Email, goodPassword); a.status != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", a.status, short(a.body))
	}
	v.get("/p/"+p.Slug).must(t, http.StatusOK)

	for _, tc := range []struct {
		name, ua, ip, email string
		flagged             bool
	}{
		{"the portal browser", ua, ip, "own@customer.example", true},
		{"another user agent", "Mozilla/5.0 (iPhone) a real shopper", ip, "shopper@customer.example", false},
		{"another IP", ua, "198.51.100.9", "neighbour@customer.example", false},
	} {
		browser := []string{"User-Agent: " + tc.ua, "X-Forwarded-For: " + tc.ip}
		status, data := app.Do(t, "POST", "/tracking/click/v1",
			fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, p.ID, aff.Code), browser...)
		if status != http.StatusOK {
			t.Fatalf("%s: click %d %s", tc.name, status, data)
		}
		cid := apptest.Decode[struct {
			CID string `json:"cid"`
		}](t, data).CID
		if status, data := app.Do(t, "POST", "/tracking/external-cid/v1",
			fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":%q}`, p.ID, cid, tc.email), browser...); status != http.StatusOK {
			t.Fatalf("%s: link %d %s", tc.name, status, data)
		}
		want := "{}"
		if tc.flagged {
			want = "{affiliate_own_browser}"
		}
		var linkFlags string
		if err := app.Store.DB().QueryRowContext(context.Background(), `SELECT flags::text FROM customer_links
			WHERE tenant_id = $1 AND external_cid = $2`, p.ID, tc.email).Scan(&linkFlags); err != nil {
			t.Fatal(err)
		}
		if linkFlags != want {
			t.Errorf("%s: link flags %s, want %s", tc.name, linkFlags, want)
		}

		// The merchant's server reports the sale for that email.
		status, data = app.Do(t, "POST", "/tracking/conversion/v1", fmt.Sprintf(`{"tenantId":%q,"conversionType":"sale",
			"amount":{"value":"20.00"},"externalCid":%q}`, p.ID, tc.email), "Authorization: Bearer "+p.Token)
		if status != http.StatusOK {
			t.Fatalf("%s: report %d %s", tc.name, status, data)
		}
		id := apptest.Decode[struct {
			ConversionID string `json:"conversionId"`
		}](t, data).ConversionID
		c := apiConversion(t, app, p.Token, id)
		switch {
		case c.AffiliateID != aff.ID:
			t.Errorf("%s: conversion of %q, want the affiliate's", tc.name, c.AffiliateID)
		case tc.flagged && (c.Status != "pending" || fmt.Sprint(c.Flags) != "[affiliate_own_browser]"):
			t.Errorf("%s: conversion %s %v, want pending and flagged affiliate_own_browser", tc.name, c.Status, c.Flags)
		case !tc.flagged && (c.Status != "approved" || len(c.Flags) != 0):
			t.Errorf("%s: conversion %s %v, want approved (no hold) and unflagged", tc.name, c.Status, c.Flags)
		}
		if tc.flagged {
			// The merchant's dashboard names the signal and says what it means.
			m := newVisitor(t, app)
			m.get("/login")
			m.post("/login", url.Values{"email": {p.Email}, "password": {"correct horse battery"}})
			m.get("/conversions/"+id).must(t, http.StatusOK, "affiliate_own_browser", "used for their own portal that day")
		}
	}
}

// The portal notes a browser at log-in and on the first page of a new UTC
// day, not on every page: another browser's pages the same day add no row.
func TestPortalNotesTheBrowserOnceADay(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Daily Shop", tracklane.ApprovalManual)
	v, aff := member(t, app, p, "daily")
	rows := func() int {
		return app.QueryInt(t, `SELECT count(*) FROM portal_visitors WHERE tenant_id = $1 AND affiliate_id = $2`, p.ID, aff.ID)
	}
	if n := rows(); n != 1 {
		t.Fatalf("%d portal visitor rows after the invitation's sign-in, want 1", n)
	}
	v.header = http.Header{"User-Agent": {"Mozilla/5.0 the same session, another user agent"}}
	v.get("/p/"+p.Slug).must(t, http.StatusOK)
	v.get("/p/"+p.Slug).must(t, http.StatusOK)
	if n := rows(); n != 1 {
		t.Fatalf("%d rows after two pages the same day, want 1 (no write per page)", n)
	}
	// The session was last seen yesterday: its first page today notes the
	// browser (and touches the session, so the next page writes nothing).
	if _, err := app.Store.DB().ExecContext(context.Background(), `UPDATE affiliate_sessions
		SET last_seen_at = last_seen_at - interval '1 day' WHERE tenant_id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	v.get("/p/"+p.Slug).must(t, http.StatusOK)
	v.header.Set("User-Agent", "Mozilla/5.0 a third user agent")
	v.get("/p/"+p.Slug).must(t, http.StatusOK)
	if n := rows(); n != 2 {
		t.Fatalf("%d rows, want 2: the new day's first page notes its browser, the next page nothing", n)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM portal_visitors WHERE tenant_id = $1 AND length(visitor_hash) = 32
		AND day = (now() AT TIME ZONE 'UTC')::date`, p.ID); n != 2 {
		t.Errorf("%d rows hold a 32-byte keyed hash (HMAC-SHA-256) of today, want all 2", n)
	}
}

type conversionOut struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	AffiliateID string   `json:"affiliate_id"`
	Flags       []string `json:"flags"`
}

// apiConversion reads a conversion as the API shows it.
func apiConversion(t *testing.T, app *apptest.App, token, id string) conversionOut {
	t.Helper()
	status, data := app.Do(t, "GET", "/api/v1/conversions?limit=50", nil, "Authorization: Bearer "+token)
	if status != http.StatusOK {
		t.Fatalf("conversions: %d %s", status, data)
	}
	for _, c := range apptest.Decode[struct {
		Data []conversionOut `json:"data"`
	}](t, data).Data {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("conversion %s is not in the API's list: %s", id, data)
	return conversionOut{}
}

// noHold sets the program's hold period to 0 days, so that what the hold
// period approves is approved at once.
func noHold(t *testing.T, app *apptest.App, tenantID string) {
	t.Helper()
	zero := 0
	if _, err := app.Accounts.UpdateSettings(context.Background(), tenantID, account.SettingsInput{HoldDays: &zero}); err != nil {
		t.Fatal(err)
	}
}
