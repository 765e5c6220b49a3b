package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// member makes an affiliate with a portal password through an invitation
// and returns the visitor, logged in.
func member(t *testing.T, app *apptest.App, p program, code string) (*visitor, tracklane.Affiliate) {
	t.Helper()
	aff := app.NewAffiliate(t, p.ID, code)
	inv, err := app.Accounts.InviteAffiliate(context.Background(), p.ID, aff.ID)
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link
	v := newVisitor(t, app)
	v.get(pathOf(t, link)).must(t, http.StatusOK, "Set your password")
	a := v.post(pathOf(t, link), url.Values{"password": {goodPassword}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/"+p.Slug {
		t.Fatalf("invitation: %d %q %s", a.status, a.header.Get("Location"), short(a.body))
	}
	return v, aff
}

func TestInvitationSetsAPasswordOnceAndSignsIn(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Invite Shop", tracklane.ApprovalManual)
	aff := app.NewAffiliate(t, p.ID, "invited-1")
	inv, err := app.Accounts.InviteAffiliate(context.Background(), p.ID, aff.ID)
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link
	if !strings.HasPrefix(link, app.URL+"/p/"+p.Slug+"/invite/") {
		t.Fatalf("invite link %q", link)
	}
	got := mailsOf(t, app, "invitation")
	if len(got) != 1 || got[0].To != aff.Email || got[0].Link != link || !strings.Contains(got[0].Text, link) {
		t.Fatalf("invitation mails %+v", got)
	}
	// Stored hashed: the secret is nowhere in the table.
	secret := link[strings.LastIndex(link, "/")+1:]
	if n := app.QueryInt(t, `SELECT count(*) FROM one_use_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))
		AND expires_at - created_at = interval '7 days' AND used_at IS NULL`, secret); n != 1 {
		t.Fatal("the invitation is not stored as the sha256 of its secret, valid 7 days")
	}

	v := newVisitor(t, app)
	v.get(pathOf(t, link)).must(t, http.StatusOK)
	v.post(pathOf(t, link), url.Values{"password": {"short"}}).must(t, http.StatusBadRequest, "at least 10 characters")
	v.post(pathOf(t, link), url.Values{"password": {aff.Email}}).must(t, http.StatusBadRequest, "your own email or name")
	a := v.post(pathOf(t, link), url.Values{"password": {goodPassword}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", a.status, short(a.body))
	}
	v.get("/p/"+p.Slug).must(t, http.StatusOK, aff.Name)

	// Used once: a second use, or a view, is a readable 410 and changes
	// nothing.
	other := newVisitor(t, app)
	other.get(pathOf(t, link)).must(t, http.StatusGone, "no longer works")
	other.get("/p/" + p.Slug + "/login")
	other.post(pathOf(t, link), url.Values{"password": {"another fine password"}}).must(t, http.StatusGone)
	newVisitor(t, app).login(p.Slug, aff.Email, "another fine password").must(t, http.StatusUnauthorized)
	if a := newVisitor(t, app).login(p.Slug, aff.Email, goodPassword); a.status != http.StatusSeeOther {
		t.Fatalf("login after invitation: %d", a.status)
	}
}

func TestExpiredAndForeignLinksChangeNothing(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Expiry Shop", tracklane.ApprovalManual)
	q := newProgram(t, app, "Other Shop", tracklane.ApprovalManual)
	aff := app.NewAffiliate(t, p.ID, "expiring")
	inv, err := app.Accounts.InviteAffiliate(context.Background(), p.ID, aff.ID)
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link
	secret := link[strings.LastIndex(link, "/")+1:]
	v := newVisitor(t, app)
	// Another program's portal does not take it.
	v.get("/p/"+q.Slug+"/invite/"+secret).must(t, http.StatusGone)
	v.get("/p/" + q.Slug + "/login")
	v.post("/p/"+q.Slug+"/invite/"+secret, url.Values{"password": {goodPassword}}).must(t, http.StatusGone)
	// Nor the reset form (another purpose), nor a made-up one.
	v.get("/p/"+p.Slug+"/reset/"+secret).must(t, http.StatusGone)
	v.get("/p/"+p.Slug+"/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").must(t, http.StatusGone)
	if _, err := app.Store.DB().Exec(`UPDATE one_use_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	v.get(pathOf(t, link)).must(t, http.StatusGone, "expired")
	v.get("/p/" + p.Slug + "/login")
	v.post(pathOf(t, link), url.Values{"password": {goodPassword}}).must(t, http.StatusGone)
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE id = $1 AND password_hash <> ''`, aff.ID); n != 0 {
		t.Fatal("an expired or foreign link set a password")
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM one_use_tokens WHERE used_at IS NOT NULL`); n != 0 {
		t.Fatal("a refused link was marked used")
	}
}

func TestForgotAnswersAlikeAndResetWorksOnce(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Reset Shop", tracklane.ApprovalManual)
	_, aff := member(t, app, p, "resetter")
	v := newVisitor(t, app)
	v.get("/p/"+p.Slug+"/forgot").must(t, http.StatusOK, "Forgot your password")
	start := time.Now()
	known := v.post("/p/"+p.Slug+"/forgot", url.Values{"email": {strings.ToUpper(aff.Email)}})
	knownTook := time.Since(start)
	v.get("/p/" + p.Slug + "/forgot")
	start = time.Now()
	unknown := v.post("/p/"+p.Slug+"/forgot", url.Values{"email": {"nobody@example.com"}})
	unknownTook := time.Since(start)
	// Neither answer is quicker than the paced time, so the time does not
	// tell a member from a stranger either.
	if knownTook < account.ResetPace || unknownTook < account.ResetPace {
		t.Errorf("answers took %v (member) and %v (stranger), want both at least %v", knownTook, unknownTook, account.ResetPace)
	}
	known.must(t, http.StatusOK, "Check your email")
	if known.body != unknown.body || known.status != unknown.status {
		t.Fatalf("answers differ:\n%s\n---\n%s", known.body, unknown.body)
	}
	got := mailsOf(t, app, "password_reset")
	if len(got) != 1 || got[0].To != aff.Email || !strings.Contains(got[0].Link, "/p/"+p.Slug+"/reset/") {
		t.Fatalf("reset mails %+v", got)
	}
	reset := pathOf(t, got[0].Link)
	v.get(reset).must(t, http.StatusOK, "Choose a new password")
	v.post(reset, url.Values{"password": {strings.ToUpper(aff.Email)}}).must(t, http.StatusBadRequest, "your own email or name")
	a := v.post(reset, url.Values{"password": {"a brand new secret"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/"+p.Slug+"/login?ok=password-set" {
		t.Fatalf("reset: %d %q", a.status, a.header.Get("Location"))
	}
	v.post(reset, url.Values{"password": {"yet another secret"}}).must(t, http.StatusGone)
	newVisitor(t, app).login(p.Slug, aff.Email, goodPassword).must(t, http.StatusUnauthorized, "Wrong email or password")
	if a := newVisitor(t, app).login(p.Slug, aff.Email, "a brand new secret"); a.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", a.status)
	}
}

func TestForgotIsThrottled(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Flood Shop", tracklane.ApprovalManual)
	v := newVisitor(t, app)
	v.get("/p/" + p.Slug + "/forgot")
	for i := 0; i < 3; i++ {
		v.post("/p/"+p.Slug+"/forgot", url.Values{"email": {"victim@example.com"}}).must(t, http.StatusOK)
	}
	for i := 0; i < 2; i++ {
		v.post("/p/"+p.Slug+"/forgot", url.Values{"email": {"victim@example.com"}}).must(t, http.StatusTooManyRequests, "Too many requests")
	}
}

func TestLoginIsThrottledPerAccountAndNetwork(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Guess Shop", tracklane.ApprovalManual)
	_, aff := member(t, app, p, "guessed")
	v := newVisitor(t, app)
	for i := 0; i < 5; i++ {
		v.login(p.Slug, aff.Email, "wrong password "+string(rune('a'+i))).must(t, http.StatusUnauthorized, "Wrong email or password")
	}
	for i := 0; i < 2; i++ { // every time until the window passes, even with the right password
		v.login(p.Slug, aff.Email, goodPassword).must(t, http.StatusTooManyRequests, "Too many failed attempts")
	}
	if v.cookie("/p/"+p.Slug, "tl_portal") != "" {
		t.Fatal("a throttled login got a session")
	}
	// Per network: many emails from one network.
	for i := 0; i < 15; i++ {
		v.login(p.Slug, "other"+string(rune('a'+i))+"@example.com", "wrong password").must(t, http.StatusUnauthorized)
	}
	v.login(p.Slug, "fresh@example.com", "wrong password").must(t, http.StatusTooManyRequests)
}

func TestSuspendedAffiliateLosesSessionAndCannotLogIn(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Suspend Shop", tracklane.ApprovalManual)
	v, aff := member(t, app, p, "to-suspend")
	v.get("/p/"+p.Slug).must(t, http.StatusOK)
	if _, err := app.Accounts.SetAffiliateStatus(context.Background(), p.ID, aff.ID, "suspend"); err != nil {
		t.Fatal(err)
	}
	a := v.get("/p/" + p.Slug)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/"+p.Slug+"/login" {
		t.Fatalf("a suspended affiliate's page: %d %q", a.status, a.header.Get("Location"))
	}
	v.login(p.Slug, aff.Email, goodPassword).must(t, http.StatusForbidden, "suspended")
	v.login(p.Slug, aff.Email, "a wrong password").must(t, http.StatusUnauthorized, "Wrong email or password")
}

func TestPortalFormsNeedTheirCSRFToken(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Csrf Shop", tracklane.ApprovalManual)
	v, aff := member(t, app, p, "csrf-aff")
	v.post("/p/"+p.Slug+"/logout", url.Values{"csrf": {"forged"}}).must(t, http.StatusForbidden, "This form has expired")
	v.get("/p/"+p.Slug).must(t, http.StatusOK) // still signed in
	anon := newVisitor(t, app)
	anon.get("/p/" + p.Slug + "/login")
	for _, path := range []string{"/login", "/join", "/forgot"} {
		anon.post("/p/"+p.Slug+path, url.Values{"csrf": {"forged"}, "email": {aff.Email}, "password": {goodPassword}, "name": {"X"}}).
			must(t, http.StatusForbidden)
	}
	if len(outbox(t, app)) != 1 { // the invitation only
		t.Fatalf("mails after forged posts: %+v", outbox(t, app))
	}
	a := v.post("/p/"+p.Slug+"/logout", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	if a := v.get("/p/" + p.Slug); a.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", a.status)
	}
}

func TestPortalSessionOpensNeitherDashboardNorAPINorAnotherProgram(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Scope Shop", tracklane.ApprovalManual)
	q := newProgram(t, app, "Neighbour Shop", tracklane.ApprovalManual)
	v, _ := member(t, app, p, "scoped")
	cookie := v.cookie("/p/"+p.Slug, "tl_portal")
	if cookie == "" {
		t.Fatal("no portal cookie")
	}
	if v.cookie("/", "tl_portal") != "" {
		t.Fatal("the portal cookie is sent outside /p/<slug>")
	}
	// Sent by hand anywhere else, it opens nothing.
	for _, c := range []struct{ path, name string }{{"/", "tl_portal"}, {"/", "tl_session"}, {"/affiliates", "tl_portal"}} {
		req, _ := http.NewRequest("GET", app.URL+c.path, nil)
		req.AddCookie(&http.Cookie{Name: c.name, Value: cookie})
		a := newVisitor(t, app).do(req)
		if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login") {
			t.Fatalf("dashboard %s with the portal session as %s: %d %q", c.path, c.name, a.status, a.header.Get("Location"))
		}
	}
	for _, h := range []string{"Authorization: Bearer " + cookie, "Cookie: tl_portal=" + cookie} {
		if status, _ := app.Do(t, "GET", "/api/v1/affiliates", nil, h); status != http.StatusUnauthorized {
			t.Fatalf("API with %q: %d", h[:10], status)
		}
	}
	req, _ := http.NewRequest("GET", app.URL+"/p/"+q.Slug, nil)
	req.AddCookie(&http.Cookie{Name: "tl_portal", Value: cookie})
	if a := newVisitor(t, app).do(req); a.status != http.StatusSeeOther {
		t.Fatalf("another program with this session: %d", a.status)
	}
}

func TestPortalPagesCarryTheDashboardHeaders(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Header Shop", tracklane.ApprovalManual)
	a := newVisitor(t, app).get("/p/" + p.Slug + "/login")
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", a.header)
	}
}

func TestRejectedApplicantCannotLogIn(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Reject Shop", tracklane.ApprovalManual)
	v := newVisitor(t, app)
	v.apply(p.Slug, "Nope", "nope@example.com", goodPassword).must(t, http.StatusOK)
	aff, _, err := app.Store.AffiliateLogin(context.Background(), p.ID, "nope@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Accounts.SetAffiliateStatus(context.Background(), p.ID, aff.ID, "reject"); err != nil {
		t.Fatal(err)
	}
	v.login(p.Slug, "nope@example.com", goodPassword).must(t, http.StatusForbidden, "not accepted")
	if v.cookie("/p/"+p.Slug, "tl_portal") != "" {
		t.Fatal("a rejected applicant got a session")
	}
}

func TestNewPasswordsThroughLinksAreThrottled(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Link Flood", tracklane.ApprovalManual)
	v := newVisitor(t, app)
	v.get("/p/" + p.Slug + "/login")
	fake := "/p/" + p.Slug + "/reset/" + strings.Repeat("B", 43)
	for i := 0; i < 20; i++ {
		v.post(fake, url.Values{"password": {goodPassword}}).must(t, http.StatusGone)
	}
	for i := 0; i < 2; i++ {
		v.post(fake, url.Values{"password": {goodPassword}}).must(t, http.StatusTooManyRequests, "Too many attempts")
	}
}
