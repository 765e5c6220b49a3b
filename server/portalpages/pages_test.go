package portalpages_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/portalpages"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The Home shows the viewer's link, codes, clicks, conversions and
// commission pending / approved / paid per currency, for the period asked,
// and nothing of the other affiliate.
func TestHome(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	if _, err := w.st.SetAffiliateCoupons(t.Context(), w.tenant.ID, w.me.ID, []string{"jane10"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.SetAffiliateCoupons(t.Context(), w.tenant.ID, w.rival.ID, []string{"rival99"}); err != nil {
		t.Fatal(err)
	}
	recent := w.now.Add(-2 * time.Hour)
	old := w.now.AddDate(0, 0, -20)
	w.payout("po_paid", w.me, "usd", "paid", "PP-1", 4321, recent)
	w.payout("po_rival", w.rival, "usd", "paid", "PP-R", 99999, recent)
	w.conversion(w.me, recent, "ann@example.com", "usd", "pending", 10000, 1111, "")
	w.conversion(w.me, recent, "bob@example.com", "usd", "approved", 10000, 2222, "")
	w.conversion(w.me, recent, "cat@example.com", "usd", "approved", 10000, 4321, "po_paid")
	w.conversion(w.me, recent, "dan@example.com", "eur", "approved", 10000, 5555, "")
	w.conversion(w.me, old, "eve@example.com", "usd", "approved", 10000, 7777, "")
	w.conversion(w.rival, recent, "zed@example.com", "usd", "approved", 10000, 8888, "po_rival")
	w.conversion(w.rival, recent, "yan@example.com", "gbp", "pending", 10000, 6666, "")
	w.clicks(w.me, 3, recent)
	w.clicks(w.me, 2, old)
	w.clicks(w.rival, 9, recent)

	for _, path := range []string{"/p/acme?period=7d", "/p/acme/?period=7d"} {
		a := w.get(path).must(t, http.StatusOK, "Jane Partner", "Acme Coffee",
			"https://track.example/r/jane", `data-copy="portal-link"`, "JANE10",
			"$11.11", "$22.22", "$43.21", "€55.55", `<svg`)
		a.mustNot(t, "RIVAL99", "$88.88", "£66.66", "$77.77", "Rival Partner")
		if got := a.header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
			t.Errorf("CSP %q", got)
		}
		if strings.Contains(a.body, "<script>") {
			t.Error("an inline script")
		}
		if !regexp.MustCompile(`<div class="stat-value">3</div>`).MatchString(a.body) {
			t.Errorf("%s: clicks are not 3", path)
		}
	}
	// 30 days (the default) takes in the older conversion and clicks.
	for _, path := range []string{"/p/acme", "/p/acme/", "/p/acme?period=30d"} {
		a := w.get(path).must(t, http.StatusOK, "$99.99", "Last 30 days")
		if !strings.Contains(a.body, `<div class="stat-value">5</div>`) {
			t.Errorf("%s: clicks are not 5", path)
		}
	}
	w.get("/p/acme?period=90d").must(t, http.StatusOK, "Last 90 days").mustNot(t, `id="portal-status"`)
	// An affiliate who is not active is told why the link records nothing.
	if _, err := w.st.DB().Exec(`UPDATE affiliates SET status = 'suspended' WHERE id = $1`, w.me.ID); err != nil {
		t.Fatal(err)
	}
	w.get("/p/acme").must(t, http.StatusOK, `id="portal-status"`, "suspended")
	w.get("/p/acme?period=1y").must(t, http.StatusBadRequest, "period must be 7d, 30d or 90d")
}

// Conversions: date, masked customer, amount, commission, status; only the
// viewer's; paged by cursor.
func TestConversions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	w.payout("po_paid", w.me, "usd", "paid", "PP-1", 100, w.now)
	w.conversion(w.me, w.now.Add(-time.Hour), "jane.customer@example.com", "usd", "approved", 12345, 2469, "po_paid")
	w.conversion(w.rival, w.now.Add(-time.Hour), "secret@rival.example", "usd", "approved", 999, 111, "")
	w.conversion(w.me, w.now.Add(-time.Minute), "tester@example.com", "usd", "test", 5000, 1000, "")
	a := w.get("/p/acme/conversions").must(t, http.StatusOK, "j***@example.com", "$123.45", "$24.69", "Approved", "Paid")
	a.mustNot(t, "jane.customer", "secret", "s***@rival.example", "$9.99", "t***@example.com")

	// 55 more: a page of 50, then the rest.
	for i := 0; i < 55; i++ {
		w.conversion(w.me, w.now.AddDate(0, 0, -1).Add(-time.Duration(i)*time.Minute), fmt.Sprintf("c%02d@shop.example", i), "usd", "pending", 1000, 200, "")
	}
	a = w.get("/p/acme/conversions").must(t, http.StatusOK, "Older →")
	if n := strings.Count(a.body, "***@"); n != 50 {
		t.Fatalf("first page has %d rows", n)
	}
	m := regexp.MustCompile(`href="(/p/acme/conversions\?after=[^"]+)"`).FindStringSubmatch(a.body)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	a = w.get(strings.ReplaceAll(m[1], "&amp;", "&")).must(t, http.StatusOK, "Newest", "c***@shop.example")
	a.mustNot(t, "j***@example.com", "Older →")
	if n := strings.Count(a.body, "***@"); n != 6 {
		t.Fatalf("second page has %d rows, want 6", n)
	}
	w.get("/p/acme/conversions?after=not-a-cursor").must(t, http.StatusBadRequest, "this page link is broken")
	w.get("/p/acme/conversions?after=%ff").must(t, http.StatusBadRequest)
}

// Payouts: each of the viewer's payouts with amount, currency, status,
// reference and date.
func TestPayouts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	w.get("/p/acme/payouts").must(t, http.StatusOK, "No payouts yet")
	w.payout("po_1", w.me, "usd", "paid", "PAYPAL-ABC", 12500, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	w.payout("po_2", w.me, "eur", "pending", "", 3000, time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC))
	w.payout("po_3", w.rival, "usd", "paid", "RIVAL-REF", 77700, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := w.get("/p/acme/payouts").must(t, http.StatusOK, "$125.00", "PAYPAL-ABC", "USD", "Paid", "€30.00", "EUR", "Pending", "2 Mar 2026")
	a.mustNot(t, "RIVAL-REF", "$777.00")
	if strings.Index(a.body, "€30.00") > strings.Index(a.body, "$125.00") {
		t.Error("payouts are not newest first")
	}
}

// Settings: the payout email needs the current password (checked first:
// wrong → 401, blank → 400) and is checked as an email address a
// spreadsheet would not run; a bad one shows the page again with the
// message and changes nothing.
func TestPayoutEmail(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	a := w.get("/p/acme/settings").must(t, http.StatusOK, "Payout email", "Change password",
		`name="csrf" value="`+testCSRF+`"`, `action="/p/acme/settings/payout-email"`, `action="/p/acme/settings/password"`)
	if strings.Count(a.body, `name="csrf" value="`+testCSRF+`"`) < 3 { // both forms and log-out
		t.Error("a form without the CSRF token")
	}
	if strings.Count(a.body, `name="current_password"`) != 2 {
		t.Error("a settings form does not ask for the current password")
	}
	for _, bad := range []string{"not an email", "", "a@b@c", "jane@", "<script>@x.example",
		"=cmd|'/Ccalc'!A0@x.example", "+1@x.example", "-x@x.example", "@x@x.example", "ja\x01ne@x.example"} {
		a := w.do("POST", "/p/acme/settings/payout-email", url.Values{"payout_email": {bad}, "current_password": {janePassword}, "csrf": {testCSRF}})
		if a.status != http.StatusBadRequest {
			t.Fatalf("%q: status %d", bad, a.status)
		}
		a.must(t, a.status, `role="alert"`, "Payout email")
		a.mustNot(t, "<script>@")
		if got, _ := w.st.Affiliate(t.Context(), w.tenant.ID, w.me.ID); got.PayoutEmail != "" {
			t.Fatalf("%q was saved as %q", bad, got.PayoutEmail)
		}
	}
	for password, status := range map[string]int{"": http.StatusBadRequest, "not jane's password": http.StatusUnauthorized} {
		a := w.do("POST", "/p/acme/settings/payout-email", url.Values{"payout_email": {"thief@x.example"}, "current_password": {password}, "csrf": {testCSRF}})
		a.must(t, status, `role="alert"`, "current password")
		if got, _ := w.st.Affiliate(t.Context(), w.tenant.ID, w.me.ID); got.PayoutEmail != "" {
			t.Fatalf("saved with the password %q", password)
		}
	}
	a = w.do("POST", "/p/acme/settings/payout-email", url.Values{"payout_email": {"  Jane.Pay@PayPal.Example "}, "current_password": {janePassword}, "csrf": {testCSRF}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/acme/settings?ok=payout-email-saved" {
		t.Fatalf("save: %d %s", a.status, a.header.Get("Location"))
	}
	w.get("/p/acme/settings?ok=payout-email-saved").must(t, http.StatusOK, "Payout email saved.", `value="jane.pay@paypal.example"`)
	if got, _ := w.st.Affiliate(t.Context(), w.tenant.ID, w.rival.ID); got.PayoutEmail != "" {
		t.Fatalf("the rival's payout email changed to %q", got.PayoutEmail)
	}
}

// Settings: a password change goes to Deps.ChangePassword for the viewer,
// with the session that stays; its refusal is shown on the form.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	a := w.do("POST", "/p/acme/settings/password", url.Values{"current_password": {"wrong one"}, "new_password": {"brand new password"}})
	a.must(t, http.StatusUnauthorized, "The current password is wrong")
	a = w.do("POST", "/p/acme/settings/password", url.Values{"current_password": {"old password 123"}, "new_password": {"short"}})
	a.must(t, http.StatusBadRequest, "at least 10 characters")
	w.do("POST", "/p/acme/settings/password", url.Values{"new_password": {"brand new password"}}).must(t, http.StatusBadRequest, "current password")
	a = w.do("POST", "/p/acme/settings/password", url.Values{"current_password": {"old password 123"}, "new_password": {"brand new password"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/acme/settings?ok=password-changed" {
		t.Fatalf("change: %d %s", a.status, a.header.Get("Location"))
	}
	calls := w.password.calls
	want := w.tenant.ID + "|" + w.me.ID + "|old password 123|brand new password"
	if len(calls) != 3 || calls[2] != want || string(w.password.kept[2]) != string(testSession) {
		t.Fatalf("calls %q (kept %q), last want %q keeping the viewer's session", calls, w.password.kept, want)
	}
	w.get("/p/acme/settings?ok=password-changed").must(t, http.StatusOK, "Password changed.")
}

// Settings: both forms that ask for the password are throttled as the
// log-in is, together: 5 wrong passwords, then 429 (with Retry-After)
// even for the right one, and the action does not run.
func TestPasswordFormsAreThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	for i := range 3 {
		w.do("POST", "/p/acme/settings/password", url.Values{"current_password": {fmt.Sprint("guess ", i)}, "new_password": {"brand new password"}}).
			must(t, http.StatusUnauthorized)
	}
	for i := range 2 {
		w.do("POST", "/p/acme/settings/payout-email", url.Values{"current_password": {fmt.Sprint("guess ", i)}, "payout_email": {"x@thief.example"}, "csrf": {testCSRF}}).
			must(t, http.StatusUnauthorized)
	}
	a := w.do("POST", "/p/acme/settings/password", url.Values{"current_password": {"old password 123"}, "new_password": {"brand new password"}})
	a.must(t, http.StatusTooManyRequests, "Too many wrong passwords")
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	w.do("POST", "/p/acme/settings/payout-email", url.Values{"current_password": {janePassword}, "payout_email": {"x@thief.example"}, "csrf": {testCSRF}}).
		must(t, http.StatusTooManyRequests)
	if n := len(w.password.calls); n != 3 {
		t.Errorf("%d password changes ran, want the 3 wrong ones only", n)
	}
	if got, _ := w.st.Affiliate(t.Context(), w.tenant.ID, w.me.ID); got.PayoutEmail != "" {
		t.Fatal("a throttled form saved the payout email")
	}
}

// Authentication is the caller's: behind a middleware that stops a request
// without a viewer, no page is reached; without one, a page answers 401
// and reads nothing.
func TestNoViewer(t *testing.T) {
	t.Parallel()
	var reached []string
	w := newWorld(t, func(w *world) func(c *gin.Context) (portalpages.Viewer, bool) {
		return func(c *gin.Context) (portalpages.Viewer, bool) {
			reached = append(reached, c.Request.URL.Path)
			return portalpages.Viewer{}, false
		}
	})
	w.conversion(w.me, w.now, "jane.customer@example.com", "usd", "approved", 12345, 2469, "")
	for _, path := range []string{"/p/acme", "/p/acme/conversions", "/p/acme/payouts", "/p/acme/settings"} {
		w.get(path).must(t, http.StatusUnauthorized).mustNot(t, "j***", "$24.69", "Jane Partner", "jane@partners.example")
	}
	w.do("POST", "/p/acme/settings/payout-email", url.Values{"payout_email": {"x@y.example"}}).must(t, http.StatusUnauthorized)
	if got, _ := w.st.Affiliate(t.Context(), w.tenant.ID, w.me.ID); got.PayoutEmail != "" {
		t.Fatal("saved without a viewer")
	}

	// A viewer whose affiliate is not of its tenant is no viewer.
	w2 := newWorld(t, func(w *world) func(c *gin.Context) (portalpages.Viewer, bool) {
		return func(c *gin.Context) (portalpages.Viewer, bool) {
			return portalpages.Viewer{Tenant: tracklane.Tenant{ID: "some-other-tenant", Name: "X"}, Affiliate: w.me}, true
		}
	})
	w2.get("/p/acme").must(t, http.StatusUnauthorized).mustNot(t, "Jane Partner")

	// The portal's way: its middleware aborts before the pages.
	gate := gin.New()
	h := portalpages.New(portalpages.Deps{Store: w.st, Who: func(c *gin.Context) (portalpages.Viewer, bool) {
		t.Error("a page was reached without a session")
		return portalpages.Viewer{}, false
	}})
	h.Register(gate.Group("/p/:slug", func(c *gin.Context) { c.AbortWithStatus(http.StatusSeeOther) }))
	for _, path := range []string{"/p/acme", "/p/acme/conversions", "/p/acme/payouts", "/p/acme/settings"} {
		rec := serve(gate, "GET", path)
		if rec != http.StatusSeeOther {
			t.Errorf("%s: %d", path, rec)
		}
	}
}

func serve(h http.Handler, method, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}
