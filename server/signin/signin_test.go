package signin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
)

// world is both kinds of sign-in on a real database, behind a router that
// does what the edges do with them (the pages are the edges' own).
type world struct {
	t      *testing.T
	st     *store.Store
	th     *throttle.Throttle
	svc    account.Service
	tenant tracklane.Tenant
	aff    tracklane.Affiliate
	dash   *signin.Kind[store.Session]
	portal *signin.Kind[store.PortalSession]
	r      *gin.Engine

	mu       sync.Mutex
	now      time.Time // the kinds' clock
	verified int       // calls of the log-in's verify
	lastErr  error     // LogIn's last error
}

const (
	ownerEmail    = "owner@acme.example"
	ownerPassword = "correct horse battery"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, _ := storetest.New(t)
	w := &world{t: t, st: st, svc: account.Service{Store: st, BcryptCost: 4}, now: time.Now().UTC().Truncate(time.Second)}
	ten, err := w.svc.CreateTenant(ctx, account.NewTenantInput{Name: "Acme", Email: ownerEmail, Password: ownerPassword, Website: "https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	w.tenant = ten.Tenant
	if w.aff, err = w.svc.CreateAffiliate(ctx, w.tenant.ID, account.AffiliateInput{Name: "Jane", Email: "jane@partners.example", Code: "jane"}); err != nil {
		t.Fatal(err)
	}
	w.th = throttle.New(st, []byte("throttle key of the test"), nil)
	clock := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	w.dash = &signin.Kind[store.Session]{
		Cookie: "tl_session", Path: signin.RootPath,
		Sessions: store.DashboardSessions, Store: st,
		Read: func(c *gin.Context, idHash []byte, now time.Time) (store.Session, error) {
			return st.SessionByHash(c.Request.Context(), idHash, now)
		},
		Throttle: w.th, ThrottleKey: "login", Now: clock, Log: storetest.Logger(t),
	}
	w.portal = &signin.Kind[store.PortalSession]{
		Cookie: "tl_portal", Path: func(c *gin.Context) string { return "/p/" + c.Param("slug") }, Secure: true,
		Sessions: store.PortalSessions, Store: st,
		Read: func(c *gin.Context, idHash []byte, now time.Time) (store.PortalSession, error) {
			return st.PortalSessionByHash(c.Request.Context(), w.tenant.ID, idHash, now)
		},
		Throttle: w.th, ThrottleKey: "portal-login", Now: clock, Log: storetest.Logger(t),
	}

	gin.SetMode(gin.TestMode)
	w.r = gin.New()
	w.r.POST("/login", func(c *gin.Context) {
		email := tracklane.FoldEmail(c.PostForm("email"))
		w.answerLogIn(c, w.dash.LogIn(c, email, c.PostForm("scope"), func(ctx context.Context) (store.SessionOwner, error) {
			w.mu.Lock()
			w.verified++
			w.mu.Unlock()
			u, err := w.svc.MerchantLogin(ctx, email, c.PostForm("password"))
			return store.SessionOwner{TenantID: u.TenantID, UserID: u.ID}, err
		}))
	})
	w.r.POST("/p/:slug/login", func(c *gin.Context) {
		// The portal's keys, and a verify that refuses every password.
		w.answerLogIn(c, w.portal.LogIn(c, tracklane.FoldEmail(c.PostForm("email")), w.tenant.ID, func(ctx context.Context) (store.SessionOwner, error) {
			return store.SessionOwner{}, apperr.Errorf(apperr.Unauthorized, "wrong email or password")
		}))
	})
	w.r.GET("/me", w.dash.Require(func(c *gin.Context, sess store.Session) {
		w.dash.Refresh(c, sess, c.Query("force") != "")
		c.Set("session", sess)
	}, func(c *gin.Context) {
		c.String(http.StatusUnauthorized, "signed out")
	}, func(c *gin.Context, err error) {
		c.String(http.StatusInternalServerError, "%v", err)
	}), func(c *gin.Context) {
		c.String(http.StatusOK, c.MustGet("session").(store.Session).Email)
	})
	w.r.POST("/logout", func(c *gin.Context) {
		if err := w.dash.End(c); err != nil {
			c.String(http.StatusInternalServerError, "%v", err)
		}
	})
	w.r.POST("/decoy", func(c *gin.Context) {
		if err := w.dash.Decoy(c); err != nil {
			c.String(http.StatusInternalServerError, "%v", err)
		}
	})
	w.r.POST("/pre", func(c *gin.Context) { w.dash.SetCookie(c, "tl_pre", "random", 0) })
	w.r.POST("/p/:slug/start", func(c *gin.Context) {
		if err := w.portal.Start(c, store.SessionOwner{TenantID: w.aff.TenantID, AffiliateID: w.aff.ID}); err != nil {
			c.String(http.StatusInternalServerError, "%v", err)
		}
	})
	w.r.GET("/p/:slug/me", func(c *gin.Context) {
		sess, err := w.portal.Current(c)
		if err != nil {
			c.String(http.StatusUnauthorized, "%v", err)
			return
		}
		c.String(http.StatusOK, sess.Affiliate.Email)
	})
	return w
}

// answerLogIn answers as the edges do: Refusal's status, else 500 for an
// error, else 204.
func (w *world) answerLogIn(c *gin.Context, err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
	if status, msg, ok := signin.Refusal(c, err); ok {
		c.String(status, msg)
		return
	}
	if err != nil {
		c.String(http.StatusInternalServerError, "%v", err)
		return
	}
	c.Status(http.StatusNoContent)
}

// do sends a request from the network of addr with the cookies given.
func (w *world) do(ctx context.Context, method, path, addr string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	w.t.Helper()
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":40000"
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	w.r.ServeHTTP(rec, req)
	return rec
}

func (w *world) login(addr, email, pw string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	w.t.Helper()
	return w.do(context.Background(), "POST", "/login", addr, url.Values{"email": {email}, "password": {pw}}, cookies...)
}

func (w *world) setNow(t time.Time) { w.mu.Lock(); w.now = t; w.mu.Unlock() }

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.st.DB().QueryRow(query, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// cookie returns the response's cookie of that name.
func cookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s in %q", name, rec.Header().Values("Set-Cookie"))
	return nil
}

// Each kind's cookies: the dashboard's for the whole site, the portal's
// for its program's path only, both HttpOnly and SameSite=Lax, Secure as
// the kind is configured; a session's lasts 30 days, a pre-login cookie as
// long as the browser. A session's row is in its kind's table under the
// hash of the cookie's id, and the other kind's table is untouched.
func TestCookiesOfEachKind(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rec := w.login("192.0.2.1", ownerEmail, ownerPassword)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("log-in: %d %s", rec.Code, rec.Body)
	}
	sess := cookie(t, rec, "tl_session")
	if sess.Path != "/" || !sess.HttpOnly || sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.MaxAge != 30*24*3600 || len(sess.Value) != 43 {
		t.Errorf("dashboard session cookie %+v", sess)
	}
	if n := w.count(`SELECT count(*) FROM sessions WHERE id_hash = $1`, ident.Hash(sess.Value)); n != 1 {
		t.Errorf("%d dashboard sessions under the cookie's hash", n)
	}
	if n := w.count(`SELECT count(*) FROM sessions WHERE id_hash = $1`, []byte(sess.Value)); n != 0 {
		t.Error("the raw id is stored")
	}
	pre := cookie(t, w.do(context.Background(), "POST", "/pre", "192.0.2.1", nil), "tl_pre")
	if pre.Path != "/" || !pre.HttpOnly || pre.SameSite != http.SameSiteLaxMode || pre.MaxAge != 0 || !pre.Expires.IsZero() {
		t.Errorf("pre-login cookie %+v", pre)
	}

	rec = w.do(context.Background(), "POST", "/p/acme/start", "192.0.2.1", nil)
	ps := cookie(t, rec, "tl_portal")
	if ps.Path != "/p/acme" || !ps.HttpOnly || !ps.Secure || ps.SameSite != http.SameSiteLaxMode || ps.MaxAge != 30*24*3600 {
		t.Errorf("portal session cookie %+v", ps)
	}
	if n := w.count(`SELECT count(*) FROM affiliate_sessions WHERE id_hash = $1 AND affiliate_id = $2`, ident.Hash(ps.Value), w.aff.ID); n != 1 {
		t.Errorf("%d portal sessions under the cookie's hash", n)
	}
	if n := w.count(`SELECT count(*) FROM sessions`); n != 1 {
		t.Errorf("the portal's sign-in wrote %d dashboard sessions", n-1)
	}
	if got := w.do(context.Background(), "GET", "/p/acme/me", "192.0.2.1", nil, ps); got.Code != http.StatusOK || got.Body.String() != w.aff.Email {
		t.Errorf("portal session: %d %s", got.Code, got.Body)
	}
	// The kinds never mix: one kind's id is nothing to the other.
	if got := w.do(context.Background(), "GET", "/p/acme/me", "192.0.2.1", nil, &http.Cookie{Name: "tl_portal", Value: sess.Value}); got.Code != http.StatusUnauthorized {
		t.Errorf("a dashboard id opened the portal: %d", got.Code)
	}
	if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, &http.Cookie{Name: "tl_session", Value: ps.Value}); got.Code != http.StatusUnauthorized {
		t.Errorf("a portal id opened the dashboard: %d", got.Code)
	}
}

// A log-in replaces the browser's session (no fixation: the old id ends);
// log-out deletes the row and clears the cookie, so a copied cookie stops
// working; a decoy ends the browser's session and sets a cookie of the
// same shape that names no session.
func TestStartEndAndDecoy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := cookie(t, w.login("192.0.2.1", ownerEmail, ownerPassword), "tl_session")
	second := cookie(t, w.login("192.0.2.1", ownerEmail, ownerPassword, first), "tl_session")
	if first.Value == second.Value {
		t.Fatal("the session id was kept")
	}
	if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, first); got.Code != http.StatusUnauthorized {
		t.Errorf("the replaced session still works: %d", got.Code)
	}
	if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, second); got.Code != http.StatusOK || got.Body.String() != ownerEmail {
		t.Fatalf("new session: %d %s", got.Code, got.Body)
	}

	rec := w.do(context.Background(), "POST", "/logout", "192.0.2.1", nil, second)
	cleared := cookie(t, rec, "tl_session")
	if cleared.Value != "" || cleared.MaxAge >= 0 || cleared.Path != "/" {
		t.Errorf("log-out cookie %+v", cleared)
	}
	if n := w.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions after log-out", n)
	}
	if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, second); got.Code != http.StatusUnauthorized {
		t.Errorf("a logged-out cookie still works: %d", got.Code)
	}

	third := cookie(t, w.login("192.0.2.1", ownerEmail, ownerPassword), "tl_session")
	decoy := cookie(t, w.do(context.Background(), "POST", "/decoy", "192.0.2.1", nil, third), "tl_session")
	if len(decoy.Value) != len(third.Value) || decoy.MaxAge != third.MaxAge || decoy.Path != third.Path || decoy.Value == third.Value {
		t.Errorf("decoy %+v, session %+v", decoy, third)
	}
	if n := w.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions after the decoy", n)
	}
	if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, decoy); got.Code != http.StatusUnauthorized {
		t.Errorf("the decoy signs in: %d", got.Code)
	}
	for _, bad := range []string{"", "x", strings.Repeat("a", 100), decoy.Value + "x"} {
		if got := w.do(context.Background(), "GET", "/me", "192.0.2.1", nil, &http.Cookie{Name: "tl_session", Value: bad}); got.Code != http.StatusUnauthorized {
			t.Errorf("cookie %q: %d", bad, got.Code)
		}
	}
}

// A session lasts 30 days from its last use: Refresh writes the new expiry
// only when the last write is over an hour old (or when forced), and an
// expired session is no session.
func TestSessionExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	t0 := w.now
	id := cookie(t, w.login("192.0.2.1", ownerEmail, ownerPassword), "tl_session")
	row := func() (seen, expires time.Time) {
		t.Helper()
		if err := w.st.DB().QueryRow(`SELECT last_seen_at, expires_at FROM sessions WHERE id_hash = $1`, ident.Hash(id.Value)).Scan(&seen, &expires); err != nil {
			t.Fatal(err)
		}
		return seen, expires
	}
	me := func(at time.Time, query string) int {
		t.Helper()
		w.setNow(at)
		return w.do(context.Background(), "GET", "/me"+query, "192.0.2.1", nil, id).Code
	}
	if seen, exp := row(); !seen.Equal(t0) || !exp.Equal(t0.Add(signin.Life)) {
		t.Fatalf("new session: seen %s, expires %s", seen, exp)
	}
	if code := me(t0.Add(59*time.Minute), ""); code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	if seen, _ := row(); !seen.Equal(t0) {
		t.Errorf("touched within the hour: seen %s", seen)
	}
	t1 := t0.Add(2 * time.Hour)
	if code := me(t1, ""); code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	if seen, exp := row(); !seen.Equal(t1) || !exp.Equal(t1.Add(signin.Life)) {
		t.Errorf("after two hours: seen %s, expires %s; want %s", seen, exp, t1)
	}
	t2 := t1.Add(time.Minute)
	if code := me(t2, "?force=1"); code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	if seen, _ := row(); !seen.Equal(t2) {
		t.Errorf("a forced refresh did not write: seen %s", seen)
	}
	if code := me(t2.Add(signin.Life-time.Second), ""); code != http.StatusOK {
		t.Errorf("a second before it expires: %d", code)
	}
	// That request extended it again; jump past the new expiry.
	_, exp := row()
	if code := me(exp, ""); code != http.StatusUnauthorized {
		t.Errorf("at its expiry: %d", code)
	}
	if code := me(exp.Add(time.Hour), ""); code != http.StatusUnauthorized {
		t.Errorf("after its expiry: %d", code)
	}
}

// The log-in throttle: 5 failures for one email from one network, then
// 429 with Retry-After (the password is then not even checked, the right
// one included); another network still gets in, and its success forgets
// its own failures only. 20 failures from one network, whatever the
// emails, close that network. Kinds and scopes are counted apart.
func TestLoginThrottleRefuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	verified := func() int { w.mu.Lock(); defer w.mu.Unlock(); return w.verified }

	for i := range 5 {
		if rec := w.login("198.51.100.1", ownerEmail, "wrong "+fmt.Sprint(i)); rec.Code != http.StatusUnauthorized || rec.Body.String() != "Wrong email or password." {
			t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	before := verified()
	rec := w.login("198.51.100.1", ownerEmail, ownerPassword)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "900" ||
		rec.Body.String() != "Too many failed attempts. Wait 15 minutes, then try again." {
		t.Fatalf("sixth attempt: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if verified() != before {
		t.Error("a refused attempt had its password checked")
	}
	if !errors.Is(w.lastErr, throttle.ErrLimited) {
		t.Errorf("LogIn's error %v", w.lastErr)
	}
	// The portal's keys, and the same email in another scope, are apart.
	if rec := w.do(context.Background(), "POST", "/p/acme/login", "198.51.100.1", url.Values{"email": {ownerEmail}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("the portal's log-in after the dashboard's failures: %d", rec.Code)
	}
	if rec := w.do(context.Background(), "POST", "/login", "198.51.100.1", url.Values{"email": {ownerEmail}, "password": {"x"}, "scope": {"other"}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("another scope: %d", rec.Code)
	}

	// Another network: four failures, a success, then five more failures
	// before it is refused (the success forgot the first four).
	for i := range 4 {
		if rec := w.login("198.51.100.2", ownerEmail, "wrong "+fmt.Sprint(i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("network 2, failure %d: %d", i+1, rec.Code)
		}
	}
	if rec := w.login("198.51.100.2", ownerEmail, ownerPassword); rec.Code != http.StatusNoContent {
		t.Fatalf("the owner from another network: %d %s", rec.Code, rec.Body)
	}
	for i := range 5 {
		if rec := w.login("198.51.100.2", ownerEmail, "wrong again "+fmt.Sprint(i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("network 2 after the success, failure %d: %d", i+1, rec.Code)
		}
	}
	if rec := w.login("198.51.100.2", ownerEmail, ownerPassword); rec.Code != http.StatusTooManyRequests {
		t.Errorf("network 2, sixth failure in a row: %d", rec.Code)
	}

	// One network guessing many accounts.
	for i := range 20 {
		if rec := w.login("203.0.113.9", fmt.Sprintf("guess%d@acme.example", i), "x"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("network 3, failure %d: %d", i+1, rec.Code)
		}
	}
	if rec := w.login("203.0.113.9", ownerEmail, ownerPassword); rec.Code != http.StatusTooManyRequests {
		t.Errorf("network 3 after 20 failures: %d", rec.Code)
	}
}

// Many networks guessing one account make each next attempt for it wait
// (the slow limit), but never refuse it: the owner still gets in. A client
// that leaves while it waits gets ErrLeft, and its password is not
// checked.
func TestSlowLimitWaitsAndNeverLocksTheOwnerOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 20 { // four failures from each of five networks
		if rec := w.login(fmt.Sprintf("198.51.100.%d", 10+i/4), ownerEmail, "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	w.th.SlowStep, w.th.MaxDelay = 300*time.Millisecond, time.Second
	start := time.Now()
	if rec := w.login("198.51.100.99", ownerEmail, ownerPassword); rec.Code != http.StatusNoContent {
		t.Fatalf("the owner after 20 failures elsewhere: %d %s", rec.Code, rec.Body)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("the 21st attempt waited only %s", d)
	}

	w.th.SlowStep, w.th.MaxDelay = time.Hour, time.Hour
	before := w.verified
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rec := w.do(ctx, "POST", "/login", "198.51.100.98", url.Values{"email": {ownerEmail}, "password": {ownerPassword}})
	if !errors.Is(w.lastErr, signin.ErrLeft) {
		t.Fatalf("a client that left: %v (%d)", w.lastErr, rec.Code)
	}
	if w.verified != before {
		t.Error("the password of a client that left was checked")
	}
}
