package securitytest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// TestDatabaseDumpRevealsNoSecrets dumps a database that has seen tokens,
// sign-ups, logins, clicks from a known IP and Stripe keys in use, and
// looks for anything usable in it.
func TestDatabaseDumpRevealsNoSecrets(t *testing.T) {
	t.Parallel()
	const (
		secretKey  = "dump-test-secret-key-0123456789"
		stripeKey  = "sk_live_dumptest_51Hx"
		appSecret  = "absec_dumptest_secret"
		hookSecret = "whsec_dumptest_secret"
		visitorIP  = "203.0.113.77"
		password   = "correct horse battery"
	)
	app := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32", "SECRET_KEY": secretKey,
		"STRIPE_SECRET_KEY": stripeKey, "STRIPE_APP_SECRET": appSecret, "STRIPE_WEBHOOK_SECRET": hookSecret})
	v := newVisitor(t, app)
	tenant := v.signup("Dump Shop", "owner@dump.example")
	d := populate(t, app, tenant, "dump", "carol@customer.example", nil)
	// A failed login too (the throttle records it).
	v2 := newVisitor(t, app)
	v2.do("GET", "/login", nil)
	v2.do("POST", "/login", map[string][]string{"email": {"owner@dump.example"}, "password": {"wrong password!"}})

	out, err := exec.Command("pg_dump", "--data-only", "--no-owner", app.DSN).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dump := string(out)
	if !strings.Contains(dump, d.click) {
		t.Fatal("the dump does not hold the data (wrong database?)")
	}
	for name, secret := range map[string]string{
		"personal token": d.token, "SECRET_KEY": secretKey, "Stripe key": stripeKey, "app secret": appSecret,
		"webhook secret": hookSecret, "visitor IP": visitorIP, "password": password,
	} {
		if strings.Contains(dump, secret) {
			t.Errorf("the dump contains the %s", name)
		}
	}
	// Session cookies are not in it either.
	for _, c := range v.c.Jar.Cookies(mustURL(app.URL)) {
		if len(c.Value) > 16 && strings.Contains(dump, c.Value) {
			t.Errorf("the dump contains cookie %s", c.Name)
		}
	}
}
