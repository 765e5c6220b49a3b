package dashboard_test

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

// browser is a signed-in (or not) visitor of the dashboard: a cookie jar
// and no automatic redirects, so tests see each answer.
type browser struct {
	t    *testing.T
	app  *apptest.App
	http *http.Client
	csrf string // the token of the last page that had one
	// from is the address the browser's requests come from (sent as
	// X-Forwarded-For: set it only on an app that trusts 127.0.0.1).
	from string
}

func newBrowser(t *testing.T, app *apptest.App) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, app: app, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type answer struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	if b.from != "" {
		req.Header.Set("X-Forwarded-For", b.from)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(data)); m != nil {
		b.csrf = m[1]
	}
	return answer{status: resp.StatusCode, body: string(data), header: resp.Header}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	return b.do(req)
}

// post sends a form with the last CSRF token seen (unless the form has
// its own "csrf" entry).
func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow answers a redirect as a browser does: it GETs the Location.
func (b *browser) follow(a answer) answer {
	b.t.Helper()
	if a.status != http.StatusSeeOther && a.status != http.StatusFound {
		b.t.Fatalf("not a redirect: %d\n%s", a.status, short(a.body))
	}
	return b.get(a.header.Get("Location"))
}

// signup creates a tenant through the sign-up form and returns its id.
func (b *browser) signup(name, email string) string {
	b.t.Helper()
	b.get("/signup")
	a := b.post("/signup", url.Values{"name": {name}, "email": {email}, "password": {"correct horse battery"},
		"website": {"https://shop.example"}})
	if a.status != http.StatusSeeOther {
		b.t.Fatalf("sign-up: %d %s", a.status, a.body)
	}
	u, err := b.app.Store.UserByEmail(context.Background(), email)
	if err != nil {
		b.t.Fatal(err)
	}
	b.get("/") // picks up the session's CSRF token
	return u.TenantID
}

func (a answer) must(t *testing.T, status int, contains ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", a.status, status, short(a.body))
	}
	for _, s := range contains {
		if !strings.Contains(a.body, s) {
			t.Fatalf("body lacks %q:\n%s", s, short(a.body))
		}
	}
}

func short(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}

// clickAndLink records a click of the affiliate code through the tracker
// endpoint and links email to it, as a merchant's site would.
func clickAndLink(t *testing.T, app *apptest.App, tenantID, code, email string) string {
	t.Helper()
	status, body := app.Do(t, "POST", "/tracking/click/v1", map[string]string{
		"tenantId": tenantID, "aff": code, "url": "https://shop.example/?aff=" + code + "&utm_source=news", "referrer": "https://blog.example/post",
	}, "User-Agent: Mozilla/5.0 (iPhone) "+email)
	if status != http.StatusOK {
		t.Fatalf("click: %d %s", status, body)
	}
	cid := apptest.Decode[struct{ CID string }](t, body).CID
	if email != "" {
		status, body = app.Do(t, "POST", "/tracking/external-cid/v1", map[string]string{
			"tenantId": tenantID, "cid": cid, "externalCid": email,
		})
		if status != http.StatusOK {
			t.Fatalf("link: %d %s", status, body)
		}
	}
	return cid
}

// paid makes Stripe (through the store, as the sync would) report a paid
// invoice by email and returns the conversion it created.
func paid(t *testing.T, app *apptest.App, tenantID, account, email string, amount int64, currency string) tracklane.Conversion {
	t.Helper()
	ctx := context.Background()
	conn, err := app.Store.Connect(ctx, tenantID, account, true, "usr_1", "…abcd")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	inv := "in_" + strings.ReplaceAll(email, "@", "_")
	_, err = app.Store.ApplyEvents(ctx, conn, []tracklane.StripeEvent{{
		ID: "evt_" + inv, Type: "invoice.paid", Created: now, Livemode: true, Via: "check",
		Payment: &tracklane.PaymentFact{SourceID: inv, CustomerID: "cus_" + inv, Email: email, Amount: amount, Currency: currency,
			PaidAt: now, InvoiceID: inv, ChargeID: "ch_" + inv},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	convs, err := app.Store.Conversions(ctx, tenantID, store.ConversionFilter{}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		if c.ExternalCID == email {
			return c
		}
	}
	t.Fatalf("no conversion for %s", email)
	return tracklane.Conversion{}
}

func statusJSON(t *testing.T, b *browser, path string) (int, string) {
	t.Helper()
	a := b.get(path)
	return a.status, a.body
}
