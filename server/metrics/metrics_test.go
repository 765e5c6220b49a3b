package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// scrape reads the metrics endpoint as Prometheus would.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

// value returns the sample of a metric line (name with its labels), or -1.
func value(text, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetricsCountWhatHappens(t *testing.T) {
	t.Parallel()
	fs := fakestripe.New()
	t.Cleanup(fs.Close)
	fs.AddKey("sk_test_platform")
	app := apptest.New(t, map[string]string{
		"METRICS_ADDR": "127.0.0.1:0", "TRACKING_RATE_LIMIT": "1",
		"STRIPE_TEST_SECRET_KEY": "sk_test_platform", "STRIPE_API_BASE": fs.URL(), "STRIPE_TEST_WEBHOOK_SECRET": "whsec_t",
	})
	if app.Metrics == nil {
		t.Fatal("METRICS_ADDR set but no metrics handler")
	}
	tenant := app.NewTenant(t, "Secret Shop")
	aff := app.NewAffiliate(t, tenant.ID, "metricsaff")

	click := func(ua, ip string) int {
		s, _ := app.Do(t, "POST", "/tracking/click/v1",
			fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, tenant.ID, aff.Code),
			"User-Agent: "+ua, "X-Forwarded-For: "+ip)
		return s
	}
	if s := click("Mozilla/5.0 one", ""); s != 200 {
		t.Fatalf("click: %d", s)
	}
	if s := click("Googlebot/2.1", ""); s != 204 {
		t.Fatalf("bot: %d", s)
	}
	limited := 0
	for range 15 {
		if click("Mozilla/5.0 fast", "") == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no request was rate-limited")
	}
	// API error, webhook refused, a check that succeeds.
	if s, _ := app.Do(t, "GET", "/api/v1/clicks", nil, "Authorization: Bearer tl_pt_wrong"); s != 401 {
		t.Fatalf("api: %d", s)
	}
	if s, _ := app.Do(t, "POST", "/stripe/webhook/test", `{}`, "Stripe-Signature: t=1,v1=bad"); s != 400 {
		t.Fatalf("webhook: %d", s)
	}
	conn, err := app.Store.Connect(context.Background(), tenant.ID, "acct_metrics", false, "usr", "…abcd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Engine.CheckNow(context.Background(), conn); err != nil {
		t.Fatal(err)
	}

	text := scrape(t, app.Metrics)
	for series, want := range map[string]float64{
		`tracklane_clicks_total{outcome="accepted"}`:                         1 + float64(15-limited),
		`tracklane_clicks_total{outcome="bot"}`:                              1,
		`tracklane_clicks_total{outcome="rate_limited"}`:                     float64(limited),
		`tracklane_http_errors_total{area="api",status="401"}`:               1,
		`tracklane_http_errors_total{area="tracking",status="429"}`:          float64(limited),
		`tracklane_stripe_webhooks_total{mode="test",outcome="bad_request"}`: 1,
		`tracklane_stripe_checks_total{mode="test",outcome="ok"}`:            1,
	} {
		if got := value(text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if n := value(text, "tracklane_click_batch_size_count"); n < 1 {
		t.Errorf("no click batch observed: %v", n)
	}
	if n := value(text, "tracklane_click_batch_commit_seconds_count"); n < 1 {
		t.Errorf("no batch commit timed: %v", n)
	}
	if age := value(text, "tracklane_stripe_oldest_check_success_age_seconds"); age < 0 || age > 60 {
		t.Errorf("oldest successful check age %v", age)
	}
	for _, series := range []string{`go_sql_max_open_connections{db_name="tracklane"}`, `go_sql_open_connections{db_name="tracklane"}`, "go_goroutines"} {
		if value(text, series) < 0 {
			t.Errorf("%s missing", series)
		}
	}
	// Never a tenant's data in a label or anywhere in the page.
	for _, secret := range []string{tenant.ID, aff.Code, "acct_metrics", "Secret Shop", tenant.Token} {
		if strings.Contains(text, secret) {
			t.Errorf("metrics expose %q", secret)
		}
	}
	// Not public: the application's own listener has no /metrics.
	if s, _ := app.Do(t, "GET", "/metrics", nil); s != 404 {
		t.Errorf("GET /metrics on ADDR: %d, want 404", s)
	}
	rec := httptest.NewRecorder()
	app.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 404 {
		t.Errorf("GET / on METRICS_ADDR: %d", rec.Code)
	}

	// The age grows while checks stop succeeding, and a refused check
	// counts as refused (not an uninstall: the account stays connected).
	fs.RevokeAccount("acct_metrics")
	time.Sleep(1100 * time.Millisecond)
	if _, err := app.Engine.CheckNow(context.Background(), conn); err == nil {
		t.Fatal("check of a revoked account succeeded")
	}
	text = scrape(t, app.Metrics)
	if got := value(text, `tracklane_stripe_checks_total{mode="test",outcome="refused"}`); got != 1 {
		t.Errorf("refused checks %v", got)
	}
	if age := value(text, "tracklane_stripe_oldest_check_success_age_seconds"); age < 1 {
		t.Errorf("age while Stripe refuses: %v, want at least the second waited", age)
	}
}

func TestNoMetricsByDefault(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	if app.Metrics != nil {
		t.Error("metrics served without METRICS_ADDR")
	}
	s, body := app.Do(t, "GET", "/metrics", nil)
	if s != 404 || strings.Contains(string(body), "tracklane_") {
		t.Errorf("GET /metrics: %d %s", s, body)
	}
}
