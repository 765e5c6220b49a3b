package portal_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// visitor is a browser of the portal (or the dashboard): a cookie jar, no
// automatic redirects, and the CSRF token of the last page that had one.
type visitor struct {
	t    *testing.T
	app  *apptest.App
	http *http.Client
	jar  http.CookieJar
	csrf string
	// header is sent with every request (e.g. User-Agent, X-Forwarded-For).
	header http.Header
}

func newVisitor(t *testing.T, app *apptest.App) *visitor {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, app: app, jar: jar, http: &http.Client{
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

func (v *visitor) do(req *http.Request) answer {
	v.t.Helper()
	for k, vs := range v.header {
		req.Header[k] = vs
	}
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(data)); m != nil {
		v.csrf = m[1]
	}
	return answer{status: resp.StatusCode, body: string(data), header: resp.Header}
}

func (v *visitor) get(path string) answer {
	v.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, v.app.URL+path, nil)
	return v.do(req)
}

// post sends a form with the last CSRF token seen (unless form has one).
func (v *visitor) post(path string, form url.Values) answer {
	v.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", v.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, v.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

// cookie returns the value of the named cookie the jar would send to path.
func (v *visitor) cookie(path, name string) string {
	u, _ := url.Parse(v.app.URL + path)
	for _, c := range v.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
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
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// program is a tenant with its portal.
type program struct {
	apptest.Tenant
	Slug string
	Name string
}

func newProgram(t *testing.T, app *apptest.App, name string, approval tracklane.Approval) program {
	t.Helper()
	tn := app.NewTenant(t, name)
	a := string(approval)
	tt, err := app.Accounts.UpdateSettings(context.Background(), tn.ID, account.SettingsInput{AffiliateApproval: &a})
	if err != nil {
		t.Fatal(err)
	}
	return program{Tenant: tn, Slug: tt.Slug, Name: tt.Name}
}

// apply fills in the join form.
func (v *visitor) apply(slug, name, email, password string) answer {
	v.t.Helper()
	v.get("/p/"+slug+"/join").must(v.t, http.StatusOK, "Join the affiliate program")
	return v.post("/p/"+slug+"/join", url.Values{"name": {name}, "email": {email}, "password": {password}})
}

func (v *visitor) login(slug, email, password string) answer {
	v.t.Helper()
	v.get("/p/" + slug + "/login")
	return v.post("/p/"+slug+"/login", url.Values{"email": {email}, "password": {password}})
}

// outboxMail is one row of mail_outbox.
type outboxMail struct {
	Kind, To, Subject, Text, HTML, Link string
}

func outbox(t *testing.T, app *apptest.App) []outboxMail {
	t.Helper()
	rows, err := app.Store.DB().QueryContext(context.Background(),
		`SELECT kind, recipient, subject, text_body, html_body, link FROM mail_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxMail
	for rows.Next() {
		var m outboxMail
		if err := rows.Scan(&m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Link); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func mailsOf(t *testing.T, app *apptest.App, kind string) []outboxMail {
	t.Helper()
	var out []outboxMail
	for _, m := range outbox(t, app) {
		if m.Kind == kind {
			wellFormed(t, m)
			out = append(out, m)
		}
	}
	return out
}

// wellFormed checks what every mail must be: a one-line subject, and its
// link in the text and as the HTML's link.
func wellFormed(t *testing.T, m outboxMail) {
	t.Helper()
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("%s mail's subject is not one line: %q", m.Kind, m.Subject)
	}
	if m.Link == "" || !strings.Contains(m.Text, m.Link) || !strings.Contains(m.HTML, `href="`+html.EscapeString(m.Link)+`"`) {
		t.Errorf("%s mail lacks its link %q:\n%s\n%s", m.Kind, m.Link, m.Text, m.HTML)
	}
}

// path of an absolute link on the app.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

const goodPassword = "purple elephant dances"
