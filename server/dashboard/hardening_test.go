package dashboard_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// trustLoopback makes the app believe X-Forwarded-For from the test
// client, so each browser can come from an address of its own.
var trustLoopback = map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"}

// Guessers on a few addresses fail 20 times for the owner's email: they
// are refused from their own addresses, but the owner, from an address of
// their own, still gets in with the right password (slowed down, not
// refused).
func TestOwnerIsNotLockedOutByGuessesFromOtherAddresses(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, trustLoopback)
	owner := newBrowser(t, app)
	owner.from = "198.51.100.10"
	owner.signup("Acme", "owner@acme.example")
	owner.post("/logout", nil).must(t, http.StatusSeeOther)

	for i := 1; i <= 4; i++ {
		g := newBrowser(t, app)
		g.from = fmt.Sprintf("203.0.113.%d", i)
		g.get("/login")
		for j := 0; j < 5; j++ {
			g.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {fmt.Sprintf("guess %d-%d", i, j)}}).
				must(t, http.StatusUnauthorized, "Wrong email or password")
		}
		g.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"guess again"}}).
			must(t, http.StatusTooManyRequests, "Too many failed attempts")
	}

	o := newBrowser(t, app)
	o.from = "192.0.2.44"
	o.get("/login")
	start := time.Now()
	a := o.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"correct horse battery"}})
	a.must(t, http.StatusSeeOther)
	if loc := a.header.Get("Location"); loc != "/" {
		t.Fatalf("owner's login went to %q", loc)
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("past the per-email limit a login took %s: guessers are not slowed down", took)
	}
	o.get("/").must(t, http.StatusOK, "Overview")
}

// One address trying many accounts is throttled across them.
func TestLoginThrottlePerAddressAcrossAccounts(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, trustLoopback)
	g := newBrowser(t, app)
	g.from = "203.0.113.9"
	g.get("/login")
	codes := map[int]int{}
	for i := 0; i < 40; i++ {
		a := g.post("/login", url.Values{"email": {fmt.Sprintf("user%d@victims.example", i)}, "password": {"Summer2026!x"}})
		codes[a.status]++
	}
	if codes[http.StatusUnauthorized] > 20 || codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("40 accounts tried from one address: %v; want at most 20 tried, the rest 429", codes)
	}
	// Another address is not affected.
	other := newBrowser(t, app)
	other.from = "203.0.113.10"
	other.get("/login")
	other.post("/login", url.Values{"email": {"user0@victims.example"}, "password": {"x"}}).must(t, http.StatusUnauthorized)
}

// Signing up with an email that has an account answers exactly as a
// sign-up with a new email does, and changes nothing of that account.
func TestSignupWithTakenEmailAnswersAsANewOne(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	first := newBrowser(t, app)
	first.signup("Acme", "owner@acme.example")

	form := func(email string) url.Values {
		return url.Values{"name": {"Someone"}, "email": {email}, "password": {"another long secret"}, "website": {"https://x.example"}}
	}
	fresh := newBrowser(t, app)
	fresh.get("/signup")
	n := fresh.post("/signup", form("newcomer@acme.example"))
	taken := newBrowser(t, app)
	taken.get("/signup")
	k := taken.post("/signup", form(" Owner@ACME.example"))

	if n.status != k.status || n.header.Get("Location") != k.header.Get("Location") || n.body != k.body {
		t.Errorf("new email: %d %q %q\ntaken email: %d %q %q", n.status, n.header.Get("Location"), n.body,
			k.status, k.header.Get("Location"), k.body)
	}
	if cn, ck := cookieShape(n.header), cookieShape(k.header); cn != ck {
		t.Errorf("cookies differ: new %q, taken %q", cn, ck)
	}
	if strings.Contains(strings.ToLower(k.body), "exists") || k.status == http.StatusConflict {
		t.Errorf("the answer reveals the account: %d %s", k.status, k.body)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM tenants`); n != 2 {
		t.Errorf("%d tenants, want 2 (the taken email creates nothing)", n)
	}
	// The owner's account is untouched: the old password still works.
	first.post("/logout", nil)
	first.get("/login")
	first.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"correct horse battery"}}).must(t, http.StatusSeeOther)
}

// cookieShape is the Set-Cookie headers without their values.
func cookieShape(h http.Header) string {
	var out []string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		out = append(out, fmt.Sprintf("%s len=%d path=%s maxage=%d httponly=%v samesite=%v", c.Name, len(c.Value), c.Path, c.MaxAge, c.HttpOnly, c.SameSite))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func TestSignupRefusesShortAndCommonPasswords(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.get("/signup")
	for _, tc := range []struct{ password, want string }{
		{"abcdefghi", "at least 10 characters"},
		{"Password123", "too common"},
		{"QWERTYUIOP", "too common"},
		{"1234567890", "too common"},
		{"aaaaaaaaaa", "a repeated character"},
		{"Password1234", "a common word with digits"},
		{"a@acme.example", "your own email or name"},
	} {
		b.post("/signup", url.Values{"name": {"Acme"}, "email": {"a@acme.example"}, "password": {tc.password}}).
			must(t, http.StatusBadRequest, tc.want)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM tenants`); n != 0 {
		t.Fatalf("%d tenants made with refused passwords", n)
	}
	b.post("/signup", url.Values{"name": {"Acme"}, "email": {"a@acme.example"}, "password": {"xkq7-vmp2z"}}).must(t, http.StatusSeeOther)
}

// A next= with a control character is dropped: browsers strip tabs and
// newlines, so /\t/evil.example/ would take the user to //evil.example.
func TestLoginNextRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.signup("Acme", "owner@acme.example")
	b.post("/logout", nil)
	b.get("/login?next=%2F%09%2Fevil.example%2F").must(t, http.StatusOK, `name="next" value=""`)
	for _, next := range []string{"/\t/evil.example/", "/\n/evil.example/", "/\\evil.example", "/x\x7f", "https://evil.example/"} {
		v := newBrowser(t, app)
		v.get("/login")
		a := v.post("/login", url.Values{"email": {"owner@acme.example"}, "password": {"correct horse battery"}, "next": {next}})
		a.must(t, http.StatusSeeOther)
		if loc := a.header.Get("Location"); loc != "/" {
			t.Errorf("next %q: login went to %q", next, loc)
		}
	}
}

// The integration page's poll takes a time in Unix milliseconds; one that
// PostgreSQL cannot hold is a 400, not a 500.
func TestIntegrationStatusRefusesTimesOutOfRange(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tid := b.signup("Acme", "owner@acme.example")
	aff := app.NewAffiliate(t, tid, "status")
	for _, since := range []string{"9223372036854775807", "-9223372036854775808", "253402300800000", "-62135596800001", "1e3", ""} {
		s, body := statusJSON(t, b, "/integration/status.json?affiliate="+aff.ID+"&since="+url.QueryEscape(since))
		if s != http.StatusBadRequest {
			t.Errorf("since=%s: %d %s, want 400", since, s, body)
		}
	}
	s, body := statusJSON(t, b, fmt.Sprintf("/integration/status.json?affiliate=%s&since=%d", aff.ID, time.Now().UnixMilli()))
	if s != http.StatusOK {
		t.Errorf("a good since: %d %s", s, body)
	}
}
