package securitytest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// visitor is a dashboard user agent: cookies kept, redirects not followed.
type visitor struct {
	t    testing.TB
	app  *apptest.App
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newVisitor(t testing.TB, app *apptest.App) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, app: app, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) do(method, path string, form url.Values) (int, string, http.Header) {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		if _, ok := form["csrf"]; !ok {
			form.Set("csrf", v.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, v.app.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(data); m != nil {
		v.csrf = string(m[1])
	}
	return resp.StatusCode, string(data), resp.Header
}

// signup makes a tenant through the dashboard and returns its id.
func (v *visitor) signup(name, email string) string {
	v.t.Helper()
	v.do("GET", "/signup", nil)
	if s, body, _ := v.do("POST", "/signup", url.Values{"name": {name}, "email": {email},
		"password": {"correct horse battery"}, "website": {"https://shop.example"}}); s != http.StatusSeeOther {
		v.t.Fatalf("sign-up: %d %s", s, body)
	}
	v.do("GET", "/", nil)
	u, err := v.app.Store.UserByEmail(context.Background(), email)
	if err != nil {
		v.t.Fatal(err)
	}
	return u.TenantID
}

// tenantData is one tenant's objects, as ids to try from another tenant.
type tenantData struct {
	id, token, affiliate, click, conversion string
	tokenID                                 int64
	connection                              int64
}

// populate gives a tenant an affiliate, a click with a linked email and a
// conversion, using the public endpoints and the store as Stripe would.
func populate(t testing.TB, app *apptest.App, tenantID, code, email string, fields map[string]string) tenantData {
	t.Helper()
	ctx := context.Background()
	d := tenantData{id: tenantID}
	name, landing := "Partner "+code, ""
	if fields != nil {
		name, landing = fields["name"], fields["landing"]
	}
	aff, err := app.Accounts.CreateAffiliate(ctx, tenantID, accountInput(name, code+"@partners.example", code, landing))
	if err != nil {
		t.Fatal(err)
	}
	d.affiliate = aff.ID
	pageURL := "https://shop.example/?aff=" + code
	referrer := "https://blog.example/"
	if fields != nil {
		pageURL, referrer = fields["url"], fields["referrer"]
	}
	status, body := app.Do(t, "POST", "/tracking/click/v1", map[string]string{"tenantId": tenantID, "aff": code, "url": pageURL, "referrer": referrer},
		"User-Agent: Mozilla/5.0 "+code, "X-Forwarded-For: 203.0.113.77")
	if status != 200 {
		t.Fatalf("click: %d %s", status, body)
	}
	d.click = apptest.Decode[struct{ CID string }](t, body).CID
	if status, body := app.Do(t, "POST", "/tracking/external-cid/v1", map[string]string{"tenantId": tenantID, "cid": d.click, "externalCid": email}); status != 200 {
		t.Fatalf("link: %d %s", status, body)
	}
	conn, err := app.Store.Connect(ctx, tenantID, "acct_"+code, true, "usr_"+code, "…abcd")
	if err != nil {
		t.Fatal(err)
	}
	d.connection = conn.ID
	now := time.Now().UTC().Add(time.Second)
	inv := "in_" + code
	if _, err := app.Store.ApplyEvents(ctx, conn, []tracklane.StripeEvent{{ID: "evt_" + code, Type: "invoice.paid", Created: now, Livemode: true,
		Payment: &tracklane.PaymentFact{SourceID: inv, CustomerID: "cus_" + code, Email: email, Amount: 5000, Currency: "usd", PaidAt: now, InvoiceID: inv}}}, nil); err != nil {
		t.Fatal(err)
	}
	convs, err := app.Store.Conversions(ctx, tenantID, store.ConversionFilter{}, store.Page{Limit: 5})
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversions: %v %v", convs, err)
	}
	d.conversion = convs[0].ID
	tok, err := app.Accounts.CreateToken(ctx, tenantID, "isolation "+code)
	if err != nil {
		t.Fatal(err)
	}
	d.token = tok
	tokens, _ := app.Store.PersonalTokens(ctx, tenantID)
	d.tokenID = tokens[0].ID
	return d
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
