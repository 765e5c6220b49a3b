package trust3test

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

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/mailpit"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	merchantPassword  = "correct horse battery"
	affiliatePassword = "purple elephant dances"
)

// world is one running instance with mail going to its own Mailpit, and
// one merchant whose program approves applications as asked.
type world struct {
	t      *testing.T
	app    *apptest.App
	mp     *mailpit.Server
	tenant tracklane.Tenant
	token  string // the tenant's personal token (API)
	owner  string // the merchant's login email
}

func newWorld(t *testing.T, approval tracklane.Approval) *world {
	t.Helper()
	mp := mailpit.Start(t)
	app := apptest.New(t, map[string]string{"SMTP_URL": mp.SMTPURL(), "MAIL_FROM": "Shop <affiliates@shop.example>"})
	app.RunMail(t)
	ctx := context.Background()
	owner := "owner@" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + ".example"
	r, err := app.Accounts.CreateTenant(ctx, account.NewTenantInput{Name: "Trust Shop", Email: owner, Password: merchantPassword, Website: "https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	a := string(approval)
	tn, err := app.Accounts.UpdateSettings(ctx, r.Tenant.ID, account.SettingsInput{AffiliateApproval: &a})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, app: app, mp: mp, tenant: tn, token: r.PersonalToken, owner: owner}
}

// portal is the program's portal path.
func (w *world) portal() string { return "/p/" + w.tenant.Slug }

// affiliate makes an affiliate (as the merchant's CLI would) with a payout
// email ("" for none).
func (w *world) affiliate(code, payoutEmail string) tracklane.Affiliate {
	w.t.Helper()
	a := w.app.NewAffiliate(w.t, w.tenant.ID, code)
	if payoutEmail != "" {
		if _, err := w.app.Store.DB().Exec(`UPDATE affiliates SET payout_email = $1 WHERE id = $2`, payoutEmail, a.ID); err != nil {
			w.t.Fatal(err)
		}
		a.PayoutEmail = payoutEmail
	}
	return a
}

// merchant is the merchant's browser, logged in to the dashboard.
func (w *world) merchant() *browser {
	w.t.Helper()
	b := w.browser()
	b.get("/login")
	b.post("/login", url.Values{"email": {w.owner}, "password": {merchantPassword}}).must(http.StatusSeeOther)
	return b
}

// invite presses the affiliate page's Invite button and returns the page
// it leads to (the form answers with a redirect to the affiliate's page).
func (w *world) invite(m *browser, a tracklane.Affiliate) page {
	w.t.Helper()
	m.get("/affiliates/" + a.ID).must(http.StatusOK)
	p := m.post("/affiliates/"+a.ID+"/invite", url.Values{})
	if p.status != http.StatusSeeOther {
		return p
	}
	return m.get("/affiliates/" + a.ID)
}

// member makes an affiliate with a portal password, set through the
// invitation mailed to them; the browser that set it is signed in.
func (w *world) member(code, payoutEmail string) (tracklane.Affiliate, *browser) {
	w.t.Helper()
	a := w.affiliate(code, payoutEmail)
	w.invite(w.merchant(), a).must(http.StatusOK)
	link := w.links(a.Email, "invite", 1)[0]
	b := w.browser()
	b.get(pathOf(link)).must(http.StatusOK)
	if p := b.post(pathOf(link), url.Values{"password": {affiliatePassword}}); p.status != http.StatusSeeOther || p.header.Get("Location") != w.portal() {
		w.t.Fatalf("accepting the invitation: %d %q", p.status, p.header.Get("Location"))
	}
	b.get(w.portal()).must(http.StatusOK)
	return a, b
}

// loggedIn is a new browser logged in to the portal as email.
func (w *world) loggedIn(email, password string) *browser {
	w.t.Helper()
	b := w.browser()
	b.get(w.portal() + "/login")
	b.post(w.portal()+"/login", url.Values{"email": {email}, "password": {password}}).must(http.StatusSeeOther)
	b.get(w.portal()).must(http.StatusOK)
	return b
}

// signedOut reports whether the browser's portal session is gone.
func (w *world) signedOut(b *browser) bool {
	p := b.get(w.portal())
	return p.status == http.StatusSeeOther && p.header.Get("Location") == w.portal()+"/login"
}

// forgot asks for a reset link for email from a fresh browser.
func (w *world) forgot(email string) page {
	w.t.Helper()
	b := w.browser()
	b.get(w.portal() + "/forgot")
	return b.post(w.portal()+"/forgot", url.Values{"email": {email}})
}

// join sends the application form from a fresh browser.
func (w *world) join(form url.Values) page {
	w.t.Helper()
	b := w.browser()
	b.get(w.portal() + "/join").must(http.StatusOK)
	return b.post(w.portal()+"/join", form)
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/(invite|reset|confirm)/[A-Za-z0-9_-]{43}`)

// links waits for at least n mails to `to` and returns the one-use links
// of that kind ("invite", "reset", "confirm") they carry, oldest first.
func (w *world) links(to, kind string, n int) []string {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out []string
		for _, s := range mailpit.To(w.mp.Messages(w.t), to) {
			for _, m := range linkPattern.FindAllStringSubmatch(w.mp.Message(w.t, s.ID).Text, -1) {
				if m[1] == kind {
					out = append(out, m[0])
				}
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d %s link(s) mailed to %s after 30 s, want %d", len(out), kind, to, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// delivered waits until the outbox holds nothing left to send, then
// returns what Mailpit got for `to`: every mail the instance sent there.
func (w *world) delivered(to string) []mailpit.Message {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for w.app.QueryInt(w.t, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			w.t.Fatal("the outbox was not drained in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var out []mailpit.Message
	for _, s := range mailpit.To(w.mp.Messages(w.t), to) {
		out = append(out, w.mp.Message(w.t, s.ID))
	}
	return out
}

// laterThanTheCap moves every mail written so far an hour into the past,
// as if the hour of the cap on mails to one address had gone by (the
// links they carry keep their own expiry).
func (w *world) laterThanTheCap() {
	w.t.Helper()
	if _, err := w.app.Store.DB().Exec(`UPDATE mail_outbox SET created_at = created_at - interval '61 minutes'`); err != nil {
		w.t.Fatal(err)
	}
}

func pathOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		panic(err)
	}
	return u.Path
}

// browser is a user agent: cookies kept, redirects not followed, the CSRF
// token of the last page that had one sent with every form.
type browser struct {
	t    *testing.T
	app  *apptest.App
	c    *http.Client
	csrf string
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.t, app: w.app, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type page struct {
	t      *testing.T
	status int
	body   string
	header http.Header
}

func (p page) must(status int, contains ...string) page {
	p.t.Helper()
	if p.status != status {
		p.t.Fatalf("status %d, want %d:\n%s", p.status, status, short(p.body))
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			p.t.Fatalf("the page lacks %q:\n%s", s, short(p.body))
		}
	}
	return p
}

func short(s string) string {
	if len(s) > 2500 {
		return s[:2500] + "…"
	}
	return s
}

func (b *browser) do(method, path string, body io.Reader, contentType string) page {
	b.t.Helper()
	req, err := http.NewRequest(method, b.app.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) trust3test")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return page{t: b.t, status: resp.StatusCode, body: string(data), header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, "")
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// api calls the JSON API with the tenant's personal token.
func (w *world) api(method, path string, body any) (int, []byte) {
	w.t.Helper()
	return w.app.Do(w.t, method, path, body, "Authorization: Bearer "+w.token)
}
