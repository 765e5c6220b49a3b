package portal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestBrowserApplyLogInAndSeeHome applies through /join in headless
// Chromium at phone width (approval auto), is refused at the log-in until
// the mailed link confirms the address, confirms it and sees Home, saving
// screenshots of the join, log-in, forgot and confirm pages
// (artifacts/portal-*.png).
func TestBrowserApplyLogInAndSeeHome(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Acme Coffee", tracklane.ApprovalAuto)
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
	base := app.URL + "/p/" + p.Slug

	run("desktop", chromedp.EmulateViewport(1366, 900))
	run("join page", chromedp.Navigate(base+"/join"), chromedp.WaitVisible(`input[name=name]`))
	headless.Screenshot(t, ctx, "portal-join-desktop")
	run("phone", chromedp.EmulateViewport(390, 844))
	run("join page", chromedp.Navigate(base+"/join"), chromedp.WaitVisible(`input[name=name]`))
	headless.Screenshot(t, ctx, "portal-join")
	run("apply",
		chromedp.SendKeys(`input[name=name]`, "Jamie Rivera"),
		chromedp.SendKeys(`input[name=email]`, "jamie@partners.example"),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.SendKeys(`input[name=code]`, "jamie"),
		chromedp.SendKeys(`input[name=payout_email]`, "jamie.pay@partners.example"),
		chromedp.Click(`button[type=submit]`),
		// The join page has an .auth-card h1 too: wait for its form to go.
		chromedp.WaitNotPresent(`input[name=payout_email]`),
		chromedp.WaitVisible(`.auth-card h1`),
	)
	if s := text(".auth-card h1"); s != "Thank you for applying" {
		t.Fatalf("after applying: %q", s)
	}
	headless.Screenshot(t, ctx, "portal-applied")

	run("forgot page", chromedp.Navigate(base+"/forgot"), chromedp.WaitVisible(`input[name=email]`))
	headless.Screenshot(t, ctx, "portal-forgot")
	run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`input[name=email]`))
	headless.Screenshot(t, ctx, "portal-login")
	// The program approves automatically, but only once the address is
	// confirmed: the log-in says so.
	run("log in before confirming",
		chromedp.SendKeys(`input[name=email]`, "jamie@partners.example"),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.auth-card .alert-error`),
	)
	if s := text(".auth-card .alert-error"); !strings.Contains(s, "Confirm your email first") {
		t.Fatalf("log-in before confirming: %q", s)
	}
	confirm := mailsOf(t, app, "confirm_email")
	if len(confirm) != 1 || confirm[0].To != "jamie@partners.example" {
		t.Fatalf("confirmation mails %+v", confirm)
	}
	run("confirm page", chromedp.Navigate(confirm[0].Link), chromedp.WaitVisible(`.auth-card button[type=submit]`))
	headless.Screenshot(t, ctx, "portal-confirm")
	run("confirm", chromedp.Click(`.auth-card button[type=submit]`), chromedp.WaitVisible(`main h1`))
	if s := text("main h1"); !strings.Contains(s, "Jamie Rivera") && !strings.Contains(s, "Home") {
		t.Fatalf("home heading %q", s)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || url != base {
		t.Fatalf("after confirming at %q, want %q", url, base)
	}
	headless.Screenshot(t, ctx, "portal-login-home")
	if c := headless.Cookie(t, ctx, base, "tl_portal"); c == nil || !c.HTTPOnly || c.Path != "/p/"+p.Slug {
		t.Fatalf("portal cookie %+v", c)
	}

	// The merchant's side: the affiliate's page with its program card.
	aff, err := app.Store.AffiliateByCode(context.Background(), p.ID, "jamie")
	if err != nil {
		t.Fatal(err)
	}
	run("merchant log in",
		chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, p.Email),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.sidebar`),
	)
	run("affiliates", chromedp.Navigate(app.URL+"/affiliates?status=active"), chromedp.WaitVisible(`.table`))
	headless.Screenshot(t, ctx, "portal-merchant-affiliates")
	run("affiliate page", chromedp.Navigate(app.URL+"/affiliates/"+aff.ID), chromedp.WaitVisible(`.portal-status`))
	run("invite", chromedp.Click(`form[action$="/invite"] button`), chromedp.WaitVisible(`#invite-link`))
	if s := text("#invite-link"); !strings.HasPrefix(s, base+"/invite/") {
		t.Fatalf("invitation link %q", s)
	}
	headless.Screenshot(t, ctx, "portal-merchant-affiliate")
	if ex := console.Exceptions(); len(ex) > 0 {
		t.Fatalf("page exceptions: %v", ex)
	}
}
