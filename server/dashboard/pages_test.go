package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/dashboard"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// world is two tenants, each signed in in its own browser, A with an
// affiliate, a click, an email link and a conversion.
type world struct {
	app      *apptest.App
	a, b     *browser
	tenantA  string
	tenantB  string
	affA     tracklane.Affiliate
	affB     tracklane.Affiliate
	convA    tracklane.Conversion
	tokenIDA int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	app := apptest.New(t, nil)
	w := &world{app: app, a: newBrowser(t, app), b: newBrowser(t, app)}
	w.tenantA = w.a.signup("Acme Coffee", "owner@acme.example")
	w.tenantB = w.b.signup("Beta Books", "owner@beta.example")
	ctx := context.Background()
	var err error
	if w.affA, err = app.Accounts.CreateAffiliate(ctx, w.tenantA, account.AffiliateInput{Name: "Jamie Rivera", Email: "jamie@partners.example", Code: "jamie"}); err != nil {
		t.Fatal(err)
	}
	if w.affB, err = app.Accounts.CreateAffiliate(ctx, w.tenantB, account.AffiliateInput{Name: "Bea", Email: "bea@partners.example", Code: "bea"}); err != nil {
		t.Fatal(err)
	}
	clickAndLink(t, app, w.tenantA, "jamie", "buyer@customer.example")
	w.convA = paid(t, app, w.tenantA, "acct_A", "buyer@customer.example", 4999, "usd")
	if _, err := app.Accounts.CreateToken(ctx, w.tenantA, "Default"); err != nil { // a browser sign-up makes none
		t.Fatal(err)
	}
	tokens, err := app.Store.PersonalTokens(ctx, w.tenantA)
	if err != nil || len(tokens) == 0 {
		t.Fatal(tokens, err)
	}
	w.tokenIDA = tokens[0].ID
	return w
}

func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.a
	a.get("/").must(t, http.StatusOK, "Overview", "Unique clicks", "Sum of daily unique visitors", "$49.99", "$10.00", "Jamie Rivera", "<svg")
	a.get("/?period=7d").must(t, http.StatusOK, "Last 7 days")
	a.get("/?period=custom&from=2026-01-01&to=2026-01-31").must(t, http.StatusOK, "1 Jan – 31 Jan 2026",
		`name="from" value="1 Jan 2026"`, `name="to" value="31 Jan 2026"`)
	// The date fields take a day as the pages write it, in any case.
	a.get("/?period=custom&from=1+jan+2026&to=31+JANUARY+2026").must(t, http.StatusOK, "1 Jan – 31 Jan 2026")
	a.get("/?period=custom&from=01+Jan+2026&to=2026-01-31").must(t, http.StatusOK, "1 Jan – 31 Jan 2026")
	a.get("/clicks").must(t, http.StatusOK, "Clicks", "Jamie Rivera", "shop.example/", "blog.example/post", "news", "Mobile", "buyer@customer.example")
	a.get("/clicks?affiliate="+w.affA.ID+"&period=90d").must(t, http.StatusOK, "Jamie Rivera")
	a.get("/conversions").must(t, http.StatusOK, "Conversions", "buyer@customer.example", "$49.99", "$10.00", "Pending",
		"https://dashboard.stripe.com/invoices/"+w.convA.StripeInvoice, "https://dashboard.stripe.com/customers/"+w.convA.StripeCustomer)
	a.get("/conversions?status=pending&affiliate="+w.affA.ID).must(t, http.StatusOK, "buyer@customer.example")
	a.get("/conversions?status=approved").must(t, http.StatusOK, "No conversions match")
	detail := a.get("/conversions/" + w.convA.ID)
	detail.must(t, http.StatusOK, "buyer@customer.example", "History", "evt_"+w.convA.StripeInvoice, "Approve", "Reject",
		"https://dashboard.stripe.com/payments/"+w.convA.StripeCharge)
	// The merchant sees their customers' emails in full; masking is for
	// others (the affiliate portal).
	for _, page := range []answer{a.get("/clicks"), a.get("/conversions"), detail} {
		if strings.Contains(page.body, "b***@") {
			t.Fatalf("a merchant page masks the customer email:\n%s", short(page.body))
		}
	}
	a.get("/affiliates").must(t, http.StatusOK, "Affiliates", "Jamie Rivera", w.app.URL+"/r/jamie", "data-copy")
	a.get("/affiliates/new").must(t, http.StatusOK, "New affiliate", `name="csrf"`)
	a.get("/affiliates/"+w.affA.ID).must(t, http.StatusOK, "Jamie Rivera", w.app.URL+"/r/jamie", "Save changes")
	settings := a.get("/settings")
	settings.must(t, http.StatusOK, w.tenantA, "Revenue origins", "Personal API tokens", "acct_A", "Check now",
		`&lt;script async src=&#34;`+w.app.URL+`/tracking.js&#34;&gt;&lt;/script&gt;`,
		`trackdesk(&#39;`+w.tenantA+`&#39;, &#39;click&#39;);`,
		`&lt;script&gt;
trackdesk(&#39;`+w.tenantA+`&#39;, &#39;externalCid&#39;, {externalCid: &#39;CUSTOMER_EMAIL&#39;, revenueOriginId: &#39;`)
	a.get("/integration").must(t, http.StatusOK, "Test your integration", "/integration/status.json?affiliate="+w.affA.ID, w.app.URL+"/r/jamie")
	demo := a.get("/integration/demo?aff=jamie")
	demo.must(t, http.StatusOK, "Demo Shop", `<script nonce="`, "/tracking.js")
	if csp := demo.header.Get("Content-Security-Policy"); !strings.Contains(csp, "'nonce-") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("demo CSP %q", csp)
	}
	a.get("/integration/demo/thanks").must(t, http.StatusOK, "Thank you", "integration-test@example.com")
	a.get("/static/app.css").must(t, http.StatusOK, ".sidebar")
	a.get("/static/app.js").must(t, http.StatusOK, "data-copy")

	// Empty states say what to do next.
	w.b.get("/clicks").must(t, http.StatusOK, "No clicks")
	w.b.get("/conversions").must(t, http.StatusOK, "No conversions yet", "Connect Stripe")
	w.b.get("/").must(t, http.StatusOK, "Get started", "No affiliate activity")
}

func TestBadInputIsAReadablePage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for path, want := range map[string]string{
		"/?period=12d":                 "period must be 7d, 30d, 90d or custom",
		"/clicks?period=custom&from=x": "the start date must be a date",
		"/conversions?period=custom&from=2026-02-01&to=2026-01-01": "the end date is before the start date",
		"/conversions?status=paid":                                 "status must be one of",
		// Years PostgreSQL or the charts cannot take (SPEC §14: 1970–9999).
		"/?period=custom&from=0000-01-01&to=0000-01-31":           "between 1970 and 9999",
		"/affiliates?period=custom&from=0000-12-01&to=0001-01-05": "between 1970 and 9999",
		"/clicks?period=custom&from=1969-12-01&to=1970-01-05":     "between 1970 and 9999",
		"/clicks?after=bm90YWN1cnNvcg":                            "this page link is broken",
		"/integration/status.json":                                "affiliate is required",
	} {
		a := w.a.get(path)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, want) {
			t.Errorf("%s: %d, want 400 with %q:\n%s", path, a.status, want, short(a.body))
		}
	}
	w.a.get("/no/such/page").must(t, http.StatusNotFound)
	// The ends of the range are pages.
	w.a.get("/?period=custom&from=9999-12-01&to=9999-12-31").must(t, http.StatusOK, "1 Dec – 31 Dec 9999")
	w.a.get("/affiliates?period=custom&from=1970-01-01&to=1970-01-31").must(t, http.StatusOK)
}

// Every object id of another tenant is not found, in pages and actions.
func TestTenantScoping(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.b
	for _, path := range []string{
		"/conversions/" + w.convA.ID,
		"/affiliates/" + w.affA.ID,
		"/clicks?affiliate=" + w.affA.ID,
		"/conversions?affiliate=" + w.affA.ID,
		"/clicks.csv?affiliate=" + w.affA.ID,
		"/integration?affiliate=" + w.affA.ID,
	} {
		b.get(path).must(t, http.StatusNotFound)
	}
	st, body := statusJSON(t, b, "/integration/status.json?since=0&affiliate="+w.affA.ID)
	if st != http.StatusNotFound {
		t.Fatalf("status.json of another tenant: %d %s", st, body)
	}
	b.get("/settings")
	for _, path := range []string{
		"/conversions/" + w.convA.ID + "/approve",
		"/conversions/" + w.convA.ID + "/reject",
		"/affiliates/" + w.affA.ID,
		"/settings/tokens/" + strconv.FormatInt(w.tokenIDA, 10) + "/revoke",
		"/settings/stripe/1/check",
	} {
		b.post(path, url.Values{"name": {"Stolen"}, "email": {"x@y.example"}, "code": {"stolen"}}).must(t, http.StatusNotFound)
	}
	// Nothing of A changed.
	c, err := w.app.Store.Conversion(context.Background(), w.tenantA, w.convA.ID)
	if err != nil || c.ManualStatus != "" {
		t.Fatalf("A's conversion changed: %+v %v", c, err)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM personal_tokens WHERE revoked_at IS NOT NULL`); n != 0 {
		t.Fatalf("%d tokens revoked", n)
	}
	af, _ := w.app.Store.Affiliate(context.Background(), w.tenantA, w.affA.ID)
	if af.Name != "Jamie Rivera" {
		t.Fatalf("A's affiliate renamed to %q", af.Name)
	}
	// B's pages show none of A's data.
	for _, path := range []string{"/", "/clicks", "/conversions", "/affiliates", "/settings", "/clicks.csv", "/conversions.csv"} {
		if body := b.get(path).body; strings.Contains(body, "Jamie") || strings.Contains(body, w.tenantA) {
			t.Fatalf("%s of B shows A's data", path)
		}
	}
}

// Every POST of a signed-in page refuses a missing or foreign token.
func TestCSRFRefusal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.b.get("/settings")
	foreign := w.b.csrf
	for _, path := range []string{
		"/logout",
		"/conversions/" + w.convA.ID + "/approve",
		"/conversions/" + w.convA.ID + "/reject",
		"/affiliates/new",
		"/affiliates/" + w.affA.ID,
		"/settings",
		"/settings/origins",
		"/settings/tokens",
		"/settings/tokens/" + strconv.FormatInt(w.tokenIDA, 10) + "/revoke",
		"/settings/stripe/1/check",
		"/settings/stripe-app-token",
	} {
		for _, token := range []string{"", foreign, "forged"} {
			a := w.a.post(path, url.Values{"csrf": {token}, "name": {"x"}, "email": {"x@y.example"}})
			if a.status != http.StatusForbidden || !strings.Contains(a.body, "This form has expired") {
				t.Errorf("POST %s with token %q: %d", path, token, a.status)
			}
		}
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM affiliates`); n != 2 {
		t.Fatalf("%d affiliates after refused posts", n)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM personal_tokens`); n != 1 { // the world's one (a browser sign-up makes none)
		t.Fatalf("%d personal tokens after refused posts", n)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM sessions`); n != 2 {
		t.Fatalf("a refused logout ended a session")
	}
}

func TestConversionDecisions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.a
	a.get("/conversions/" + w.convA.ID)
	r := a.post("/conversions/"+w.convA.ID+"/approve", nil)
	r.must(t, http.StatusSeeOther)
	a.get(r.header.Get("Location")).must(t, http.StatusOK, "Conversion approved", "Approved", "approved by the merchant")
	// The overview counts it as owed now.
	a.get("/").must(t, http.StatusOK, "$10.00")
	r = a.post("/conversions/"+w.convA.ID+"/reject", nil)
	r.must(t, http.StatusSeeOther)
	a.get(r.header.Get("Location")).must(t, http.StatusOK, "Rejected", "rejected by the merchant")
	a.post("/conversions/cv_nope/approve", nil).must(t, http.StatusNotFound)
}

func TestAffiliateCreateAndEdit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.a
	a.get("/affiliates/new")
	r := a.post("/affiliates/new", url.Values{"name": {"Priya"}, "email": {"priya@partners.example"}, "code": {"Priya-1"},
		"commission_type": {"fixed"}, "fixed_amount": {"12.50"}, "fixed_currency": {"EUR"}})
	r.must(t, http.StatusSeeOther)
	page := a.get(r.header.Get("Location"))
	page.must(t, http.StatusOK, "Affiliate created", w.app.URL+"/r/priya-1", `value="12.50"`, `value="eur"`)
	// A taken code, a bad email, a bad amount: the form again, with the message.
	a.post("/affiliates/new", url.Values{"name": {"Dup"}, "email": {"dup@partners.example"}, "code": {"jamie"}}).
		must(t, http.StatusConflict, "is taken", `value="Dup"`)
	a.post("/affiliates/new", url.Values{"name": {"Jamie twice"}, "email": {"Jamie@Partners.example"}}).
		must(t, http.StatusConflict, "An affiliate with the email jamie@partners.example already exists", `value="Jamie twice"`)
	a.post("/affiliates/new", url.Values{"name": {"X"}, "email": {"nope"}}).must(t, http.StatusBadRequest, "is not an email address")
	a.post("/affiliates/new", url.Values{"name": {"X"}, "email": {"x@p.example"}, "commission_type": {"fixed"}, "fixed_amount": {"1.5"}, "fixed_currency": {"jpy"}}).
		must(t, http.StatusBadRequest, "whole number of JPY")
	a.post("/affiliates/new", url.Values{"name": {"X"}, "email": {"x@p.example"}, "commission_type": {"percent"}, "percent": {"150"}}).
		must(t, http.StatusBadRequest, "between 0 and 100")
	// Edit.
	a.get("/affiliates/" + w.affA.ID)
	r = a.post("/affiliates/"+w.affA.ID, url.Values{"name": {"Jamie R."}, "email": {"jamie@partners.example"}, "code": {"jamie"},
		"landing_url": {"https://shop.example/coffee"}, "commission_type": {"percent"}, "percent": {"12.5"}})
	r.must(t, http.StatusSeeOther)
	a.get(r.header.Get("Location")).must(t, http.StatusOK, "Affiliate saved", "Jamie R.", `value="12.5"`, "https://shop.example/coffee")
	a.post("/affiliates/"+w.affA.ID, url.Values{"name": {"Jamie R."}, "email": {"jamie@partners.example"}, "code": {""}}).
		must(t, http.StatusBadRequest, "Code is required")
}

func TestSettingsActions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.a
	a.get("/settings")
	// A token is shown once.
	// A token is made by a POST that redirects: a reload makes no second one.
	r := a.post("/settings/tokens", url.Values{"name": {"Zapier"}})
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/settings#tokens" {
		t.Fatalf("token create: %d → %q; want a redirect to the tokens", r.status, loc)
	}
	a.follow(r).must(t, http.StatusOK, "Token “Zapier” created", "it will not be shown again", "tl_pt_")
	if n := w.app.QueryInt(t, `SELECT count(*) FROM personal_tokens WHERE name = 'Zapier'`); n != 1 {
		t.Fatalf("%d Zapier tokens", n)
	}
	a.get("/settings").must(t, http.StatusOK, "Zapier")
	if strings.Contains(a.get("/settings").body, "will not be shown again") {
		t.Fatal("the token is shown again")
	}
	a.post("/settings/tokens", url.Values{"name": {"  "}}).must(t, http.StatusBadRequest, "Name is required")
	r = a.post("/settings/tokens/"+strconv.FormatInt(w.tokenIDA, 10)+"/revoke", nil)
	r.must(t, http.StatusSeeOther)
	a.get("/settings?ok=token-revoked").must(t, http.StatusOK, "Token revoked", "Revoked")
	a.post("/settings/tokens/abc/revoke", nil).must(t, http.StatusNotFound)

	// Revenue origins.
	a.post("/settings/origins", url.Values{"name": {"Mobile app"}}).must(t, http.StatusSeeOther)
	a.get("/settings").must(t, http.StatusOK, "Mobile app")
	a.post("/settings/origins", url.Values{"name": {""}}).must(t, http.StatusBadRequest, "name is required")

	// Settings: bad values come back with the message and what was typed.
	form := url.Values{"name": {"Acme Coffee"}, "website": {"https://acme.example"}, "cookie_days": {"60"},
		"attribution_days": {"45"}, "hold_days": {"14"}, "commission_type": {"percent"}, "percent": {"25"},
		"recurring": {"months"}, "recurring_months": {"12"}, "timezone": {"Europe/Berlin"},
		"allowed_hosts": {"acme.example\nshop.acme.example"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("hold_days", "-3")
	a.post("/settings", bad).must(t, http.StatusBadRequest, "Hold days must be between 0 and 3650", `value="-3"`)
	bad.Set("hold_days", "soon")
	a.post("/settings", bad).must(t, http.StatusBadRequest, "The hold period must be a whole number")
	bad.Set("hold_days", "14")
	bad.Set("timezone", "Mars/Olympus")
	a.post("/settings", bad).must(t, http.StatusBadRequest, "Timezone must be an IANA name")
	a.post("/settings", form).must(t, http.StatusSeeOther)
	t2, err := w.app.Store.Tenant(context.Background(), w.tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if t2.HoldDays != 14 || t2.CookieDays != 60 || t2.Commission.BasisPoints != 2500 || t2.Recurring.String() != "months:12" ||
		t2.Timezone != "Europe/Berlin" || len(t2.AllowedHosts) != 2 {
		t.Fatalf("settings stored: %+v", t2)
	}
	// The rollups follow the new timezone.
	tz, err := w.app.Store.RollupTimezone(context.Background(), w.tenantA)
	if err != nil || tz != "Europe/Berlin" {
		t.Fatalf("rollup timezone %q %v", tz, err)
	}
	a.get("/").must(t, http.StatusOK, "Europe/Berlin", "$49.99")
}

func TestCSVExports(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	evil, err := w.app.Accounts.CreateAffiliate(ctx, w.tenantA, account.AffiliateInput{Name: "=HYPERLINK(\"http://x\")", Email: "e@partners.example", Code: "evil"})
	if err != nil {
		t.Fatal(err)
	}
	clickAndLink(t, w.app, w.tenantA, evil.Code, "")
	r := w.a.get("/clicks.csv?period=7d")
	r.must(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("headers %v", r.header)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "time" {
		t.Fatalf("clicks CSV: %q", rows)
	}
	if !strings.Contains(r.body, ",buyer@customer.example") {
		t.Fatalf("the clicks CSV lacks the customer's email in full: %q", rows)
	}
	found := false
	for _, row := range rows[1:] {
		if row[3] == `'=HYPERLINK("http://x")` {
			found = true
		}
		if strings.HasPrefix(row[3], "=") {
			t.Fatalf("formula not neutralised: %q", row)
		}
	}
	if !found {
		t.Fatalf("no neutralised name in %q", rows)
	}
	r = w.a.get("/conversions.csv")
	r.must(t, http.StatusOK)
	rows, err = csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][1] != w.convA.ID || rows[1][7] != "49.99" || rows[1][8] != "10.00" || rows[1][5] != "buyer@customer.example" {
		t.Fatalf("conversions CSV: %q", rows)
	}
}

// TestCSVExportReadsEveryPage: an export longer than one store page (1000
// rows) has every click once, newest first, across the page boundaries,
// where clicks share a time.
func TestCSVExportReadsEveryPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t) // A already has one click
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	clicks := make([]tracklane.Click, 2100)
	for i := range clicks {
		clicks[i] = tracklane.Click{ID: fmt.Sprintf("ck_page%04d", i), TenantID: w.tenantA, AffiliateID: w.affA.ID,
			CreatedAt: start.Add(time.Duration(i/3) * time.Second), VisitorHash: []byte(strconv.Itoa(i))}
	}
	if err := w.app.Store.InsertClicks(context.Background(), clicks); err != nil {
		t.Fatal(err)
	}
	r := w.a.get("/clicks.csv?period=7d")
	r.must(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(clicks)+1 {
		t.Fatalf("clicks CSV has %d rows, want a header and %d clicks", len(rows), len(clicks)+1)
	}
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		if seen[row[1]] {
			t.Fatalf("click %s exported twice", row[1])
		}
		seen[row[1]] = true
		if row[3] != "Jamie Rivera" {
			t.Fatalf("row %d: affiliate %q", i, row[3])
		}
		if i > 0 && row[0] > rows[i][0] {
			t.Fatalf("row %d (%s) is newer than the row before (%s)", i, row[0], rows[i][0])
		}
	}
}

func TestCSVNeutralisesEveryFormulaPrefix(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"=", "+", "-", "@", "\t", "\r"} {
		if got := dashboard.Neutralise(prefix + "1+1"); got != "'"+prefix+"1+1" {
			t.Errorf("%q → %q", prefix+"1+1", got)
		}
	}
	if got := dashboard.Neutralise("plain"); got != "plain" {
		t.Errorf("plain → %q", got)
	}
}
