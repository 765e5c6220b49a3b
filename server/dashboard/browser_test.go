package dashboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	// aliased: this package has its own browser type (an HTTP visitor)
	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestBrowserWalkthrough drives the dashboard in headless Chromium as a new
// merchant would: sign up, create an affiliate and a token, run the
// integration test on the demo page, and visit every page, saving a
// screenshot of each (desktop and phone width) as a test artifact.
func TestBrowserWalkthrough(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	ctx := headless.New(t)
	headless.ScreenshotOnFailure(t, ctx)
	console := headless.Console(t, ctx)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) { headless.Screenshot(t, ctx, "dashboard-"+name) }

	run("viewport", chromedp.EmulateViewport(1366, 900))
	run("sign-up page", chromedp.Navigate(app.URL+"/signup"), chromedp.WaitVisible(`input[name=name]`))
	shot("signup")
	run("sign up",
		chromedp.SendKeys(`input[name=name]`, "Acme Coffee"),
		chromedp.SendKeys(`input[name=email]`, "owner@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.SendKeys(`input[name=website]`, "https://acme.example"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.checklist`),
	)
	if s := text(".alert-success"); !strings.Contains(s, "Welcome") {
		t.Fatalf("after sign-up: %q", s)
	}
	shot("overview-empty")

	run("new affiliate",
		chromedp.Navigate(app.URL+"/affiliates/new"),
		chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "Jamie Rivera"),
		chromedp.SendKeys(`input[name=email]`, "jamie@partners.example"),
		chromedp.SendKeys(`input[name=code]`, "jamie"),
		chromedp.Click(`button.btn-primary[type=submit]`),
		chromedp.WaitVisible(`#aff-link`),
	)
	if s := text("#aff-link"); s != app.URL+"/r/jamie" {
		t.Fatalf("affiliate link %q", s)
	}
	shot("affiliate-edit")

	run("create token",
		chromedp.Navigate(app.URL+"/settings"),
		chromedp.WaitVisible(`#tokens input[name=name]`),
		chromedp.SendKeys(`#tokens input[name=name]`, "Stripe app"),
		chromedp.Submit(`#tokens input[name=name]`),
		chromedp.WaitVisible(`#new-token`),
	)
	if s := text("#new-token"); !strings.HasPrefix(s, "tl_pt_") {
		t.Fatalf("new token %q", s)
	}
	run("copy the token", chromedp.Click(`button[data-copy="new-token"]`), chromedp.Sleep(100*time.Millisecond))
	shot("settings")

	// The integration test, end to end on the demo page: the real snippets
	// record a click and link the test email; the guide ticks both off.
	run("integration page", chromedp.Navigate(app.URL+"/integration"), chromedp.WaitVisible(`#integration`))
	shot("integration-waiting")
	run("demo shop", chromedp.Navigate(app.URL+"/integration/demo?aff=jamie"), chromedp.WaitVisible(`.demo-card`),
		chromedp.Sleep(700*time.Millisecond))
	shot("demo-shop")
	run("demo thank-you", chromedp.Click(`.demo-card a.btn`), chromedp.WaitVisible(`.demo-card h1`), chromedp.Sleep(700*time.Millisecond))
	run("integration done", chromedp.Navigate(app.URL+"/integration"),
		chromedp.WaitVisible(`[data-step="link"].done`))
	if s := text(`[data-status="link"]`); !strings.Contains(s, "integration-test@example.com") {
		t.Fatalf("link step: %q", s)
	}
	shot("integration-done")

	for _, page := range []struct{ name, path, wait string }{
		{"overview", "/", ".stats"},
		{"clicks", "/clicks", "table"},
		{"conversions", "/conversions", ".empty"},
		{"affiliates", "/affiliates", "table"},
	} {
		run(page.name, chromedp.Navigate(app.URL+page.path), chromedp.WaitVisible(page.wait))
		shot(page.name)
	}
	if s := text("table tbody"); !strings.Contains(s, "Jamie Rivera") {
		t.Fatalf("affiliate list: %q", s)
	}

	// Phone width: the sidebar becomes a top bar and nothing overflows.
	run("phone", chromedp.EmulateViewport(390, 844))
	for _, page := range []struct{ name, path string }{{"overview", "/"}, {"clicks", "/clicks"}, {"settings", "/settings"}} {
		run(page.name, chromedp.Navigate(app.URL+page.path), chromedp.WaitVisible(`.main`))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 {
			t.Errorf("%s is %dpx wide at a 390px viewport", page.path, width)
		}
		shot("phone-" + page.name)
	}

	for _, m := range console.Exceptions() {
		t.Errorf("page exception: %v", m)
	}
	for _, m := range console.Messages() {
		if strings.Contains(strings.ToLower(m.Text), "content security policy") {
			t.Errorf("CSP violation: %s", m.Text)
		}
	}
}
