package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestBrowserIntegrationRetry: a merchant who opens the test link again
// within the hour gets the same click (the tracker's repeat rule), so a
// freshly opened Test integration page has no new click to wait for. The
// page recognises the visitor's earlier click, says why no new one came,
// and goes on with it; the thank-you step then completes, and the page
// does not claim "All steps done" while Stripe is not connected.
func TestBrowserIntegrationRetry(t *testing.T) {
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

	run("sign up", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(app.URL+"/signup"), chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "Acme Coffee"),
		chromedp.SendKeys(`input[name=email]`, "owner@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.SendKeys(`input[name=website]`, "https://acme.example"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#connect-stripe`),
	)
	app.NewAffiliate(t, tenantOf(t, app, "owner@acme.example"), "casey")

	// The first visit makes a click; it is from ten minutes ago by the time
	// the merchant tries again.
	run("first visit", chromedp.Navigate(app.URL+"/integration/demo?aff=casey"), chromedp.WaitVisible(`.demo-card`))
	waitFor(t, func() bool { return app.QueryInt(t, `SELECT count(*) FROM clicks`) == 1 })
	if _, err := app.Store.DB().ExecContext(context.Background(), `UPDATE clicks SET created_at = created_at - interval '10 minutes'`); err != nil {
		t.Fatal(err)
	}

	// Again, after opening the test page: the same click, no new row.
	run("open the test page", chromedp.Navigate(app.URL+"/integration"), chromedp.WaitVisible(`#integration`))
	run("second visit", chromedp.Navigate(app.URL+"/integration/demo?aff=casey"), chromedp.WaitVisible(`.demo-card`),
		chromedp.Sleep(700*time.Millisecond))
	if n := app.QueryInt(t, `SELECT count(*) FROM clicks`); n != 1 {
		t.Fatalf("the repeat visit made %d clicks; want the one", n)
	}
	run("back to the test page", chromedp.Navigate(app.URL+"/integration"), chromedp.WaitVisible(`[data-earlier-click]:not([hidden])`))
	if s := text(`[data-earlier-click]`); !strings.Contains(s, "already has a click from") || !strings.Contains(s, "same click") {
		t.Errorf("the earlier click is not explained: %q", s)
	}
	if s := text(`[data-status="click"]`); !strings.Contains(s, "Waiting") {
		t.Errorf("step 2 claims a new click: %q", s)
	}
	headless.Screenshot(t, ctx, "integration-earlier-click")
	run("go on with it", chromedp.Click(`[data-use-earlier]`), chromedp.WaitVisible(`[data-step="click"].done`))

	// The thank-you call links the email to that click; the page shows it
	// once it goes on with the earlier click again.
	run("thank-you page", chromedp.Navigate(app.URL+"/integration/demo/thanks"), chromedp.WaitVisible(`.demo-card h1`),
		chromedp.Sleep(700*time.Millisecond))
	run("the link arrives", chromedp.Navigate(app.URL+"/integration"), chromedp.WaitVisible(`[data-earlier-click]:not([hidden])`),
		chromedp.Click(`[data-use-earlier]`), chromedp.WaitVisible(`[data-step="link"].done`))
	waitFor(t, func() bool { return strings.Contains(text(`[data-live-note]`), "Step 4 is still open") })
	if s := text(`[data-live-note]`); strings.Contains(s, "All steps done") {
		t.Errorf("the page says %q with Stripe not connected", s)
	}
	headless.Screenshot(t, ctx, "integration-retry-done")
	if s := text(`[data-status="link"]`); !strings.Contains(s, "integration-test@example.com") {
		t.Errorf("step 3: %q", s)
	}
	for _, m := range console.Exceptions() {
		t.Errorf("page exception: %v", m)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
