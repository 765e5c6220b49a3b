package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)

	b.get("/").must(t, http.StatusSeeOther)
	b.get("/signup").must(t, http.StatusOK, "Create your account", `name="csrf"`)

	// Without the CSRF token (or with another browser's) the form is refused.
	b.post("/signup", url.Values{"csrf": {""}, "name": {"Acme"}, "email": {"a@acme.example"}, "password": {"correct horse battery"}}).
		must(t, http.StatusForbidden, "This form has expired")
	other := newBrowser(t, app)
	other.get("/signup")
	b.post("/signup", url.Values{"csrf": {other.csrf}, "name": {"Acme"}, "email": {"a@acme.example"}, "password": {"correct horse battery"}}).
		must(t, http.StatusForbidden)

	// Bad input is shown in the form, with what was typed.
	b.get("/signup")
	b.post("/signup", url.Values{"name": {"Acme <b>"}, "email": {"not-an-email"}, "password": {"correct horse battery"}}).
		must(t, http.StatusBadRequest, "is not an email address", `value="Acme &lt;b&gt;"`)
	b.post("/signup", url.Values{"name": {"Acme"}, "email": {"a@acme.example"}, "password": {"short"}}).
		must(t, http.StatusBadRequest, "Password must be at least 10 characters")

	a := b.post("/signup", url.Values{"name": {"Acme"}, "email": {"A@Acme.example "}, "password": {"correct horse battery"}})
	a.must(t, http.StatusSeeOther)
	if loc := a.header.Get("Location"); loc != "/?ok=signed-up" {
		t.Fatalf("sign-up went to %q", loc)
	}
	cookie := a.header.Get("Set-Cookie")
	for _, want := range []string{"tl_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Fatalf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Fatalf("plain-http dashboard set a Secure cookie: %s", cookie)
	}
	home := b.get("/?ok=signed-up")
	home.must(t, http.StatusOK, "Overview", "Welcome to Tracklane", "Get started", "Acme", "a@acme.example")
	for _, h := range []string{"Content-Security-Policy", "Cache-Control"} {
		if home.header.Get(h) == "" {
			t.Fatalf("page lacks %s", h)
		}
	}
	if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	if home.header.Get("Cache-Control") != "no-store" || home.header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("headers %v", home.header)
	}
	// A second sign-up with the same email creates nothing, and answers as
	// a new one would (TestSignupWithTakenEmailAnswersAsANewOne).
	b2 := newBrowser(t, app)
	b2.get("/signup")
	b2.post("/signup", url.Values{"name": {"Other"}, "email": {"a@acme.example"}, "password": {"correct horse battery"}}).
		must(t, http.StatusSeeOther)
	b2.get("/").must(t, http.StatusSeeOther)

	// Logging out deletes the session: the old cookie no longer works.
	if n := app.QueryInt(t, `SELECT count(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions", n)
	}
	b.post("/logout", url.Values{"csrf": {""}}).must(t, http.StatusForbidden)
	b.post("/logout", nil).must(t, http.StatusSeeOther)
	if n := app.QueryInt(t, `SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after logout", n)
	}
	b.get("/").must(t, http.StatusSeeOther)
	if loc := b.get("/clicks?period=7d").header.Get("Location"); loc != "/login?next=%2Fclicks%3Fperiod%3D7d" {
		t.Fatalf("signed-out page went to %q", loc)
	}

	// Log in again, landing where the visitor was going.
	b.get("/login?next=/clicks")
	a = b.post("/login", url.Values{"email": {"a@acme.example"}, "password": {"correct horse battery"}, "next": {"/clicks"}})
	a.must(t, http.StatusSeeOther)
	if a.header.Get("Location") != "/clicks" {
		t.Fatalf("login went to %q", a.header.Get("Location"))
	}
	b.get("/clicks").must(t, http.StatusOK, "Clicks")
}

func TestLoginRotatesSessionAndRefusesOpenRedirects(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.signup("Acme", "owner@acme.example")
	b.post("/logout", nil).must(t, http.StatusSeeOther)

	// A session id planted in the browser (fixation) is never adopted: the
	// login answers with a new one.
	planted := strings.Repeat("A", 43)
	b.http.Jar.SetCookies(mustURL(app.URL), []*http.Cookie{{Name: "tl_session", Value: planted, Path: "/"}})
	b.get("/login").must(t, http.StatusOK, "Log in")
	a := b.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}})
	a.must(t, http.StatusSeeOther)
	if a.header.Get("Location") != "/" {
		t.Fatalf("open redirect to %q", a.header.Get("Location"))
	}
	if c := a.header.Get("Set-Cookie"); !strings.HasPrefix(c, "tl_session=") || strings.HasPrefix(c, "tl_session="+planted) {
		t.Fatalf("session cookie after login: %q", c)
	}
	// Only the hash of the id is stored.
	if n := app.QueryInt(t, `SELECT count(*) FROM sessions WHERE length(id_hash) = 32`); n != 1 {
		t.Fatalf("%d hashed sessions", n)
	}
	b.get("/").must(t, http.StatusOK, "Overview")
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.signup("Acme", "owner@acme.example")
	b.post("/logout", nil)
	b.get("/login")
	before := app.QueryInt(t, `SELECT count(*) FROM login_attempts`)
	for i := 0; i < 5; i++ {
		b.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"wrong password"}}).
			must(t, http.StatusUnauthorized, "Wrong email or password")
	}
	// Even the right password is refused now: the throttle comes first.
	b.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"correct horse battery"}}).
		must(t, http.StatusTooManyRequests, "Too many failed attempts")
	if n := app.QueryInt(t, `SELECT count(*) FROM login_attempts`) - before; n != 15 { // per email+IP, per IP and per email
		t.Fatalf("%d attempts recorded", n)
	}
	// An unknown email fails the same way.
	b.post("/login", url.Values{"email": {"nobody@acme.example"}, "password": {"x"}}).must(t, http.StatusUnauthorized, "Wrong email or password")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
