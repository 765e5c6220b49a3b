package dashboard_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestBrowserFirstHour walks a new merchant's first hour in headless
// Chromium, on the pages the first-hour issue changed: the token for the
// Stripe App from the getting-started card and from Settings, the Stripe
// section of an unconnected tenant, the empty chart, the affiliate form's
// commission fields, the integration page's times, and the phone layout.
// It saves a screenshot of each (desktop and 390px) as firsthour-*.png.
func TestBrowserFirstHour(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{
		"STRIPE_APP_SECRET": "absec_demo", "STRIPE_SECRET_KEY": "sk_live_demo", "STRIPE_TEST_SECRET_KEY": "sk_test_demo",
	})
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
	shot := func(name string) {
		t.Helper()
		// From the top: a full-page shot of a page scrolled to an anchor
		// draws the sticky sidebar where the scroll left it.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.scrollTo(0, 0), 0`)); err != nil {
			t.Fatal(err)
		}
		headless.Screenshot(t, ctx, "firsthour-"+name)
	}

	run("viewport", chromedp.EmulateViewport(1366, 900))
	run("sign up", chromedp.Navigate(app.URL+"/signup"), chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "Acme Coffee"),
		chromedp.SendKeys(`input[name=email]`, "owner@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.SendKeys(`input[name=website]`, "https://acme.example"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`#connect-stripe`),
	)
	tenantID := tenantOf(t, app, "owner@acme.example")

	// The empty chart's message sits between grid lines, not on one.
	crossed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const box = document.querySelector('.chart .chart-empty').getBoundingClientRect();
		return [...document.querySelectorAll('.chart line.grid')]
			.map(l => l.getBoundingClientRect())
			.filter(r => r.top >= box.top - 1 && r.top <= box.bottom + 1)
			.map(r => String(r.top));
	})()`))
	if err != nil || len(crossed) > 0 {
		t.Errorf("grid lines through the empty chart's message at %v (%v)", crossed, err)
	}
	shot("overview-empty")

	// The token for the Stripe App, from the getting-started card.
	run("token from the overview", chromedp.Click(`#connect-stripe button[type=submit]`), chromedp.WaitVisible(`#stripe-app-token`))
	if s := text("#stripe-app-token-value"); !strings.HasPrefix(s, "tl_pt_") {
		t.Fatalf("token %q", s)
	}
	if s := text("#stripe-tenant-id"); s != tenantID {
		t.Fatalf("tenant id %q, want %s", s, tenantID)
	}
	if s := text("#stripe-app-token"); !strings.Contains(s, "paste the Tenant ID and this token") {
		t.Errorf("no next step beside the token: %q", s)
	}
	run("copy the token", chromedp.Click(`button[data-copy="stripe-app-token-value"]`), chromedp.Sleep(100*time.Millisecond))
	shot("overview-stripe-token")

	// The Stripe section of Settings, unconnected, then with a token.
	run("settings", chromedp.Navigate(app.URL+"/settings#stripe"), chromedp.WaitVisible(`#stripe .connect`))
	if s := text("#stripe"); strings.Contains(s, "Marketplace") && !strings.Contains(s, "not listed in the Stripe App Marketplace") {
		t.Errorf("the Stripe section sends the merchant to the Marketplace: %q", s)
	}
	run("token from settings", chromedp.Click(`#stripe .token-form button`), chromedp.WaitVisible(`#stripe #stripe-app-token`))
	shot("settings-stripe-token")

	// The timezone field searches every IANA zone.
	zones, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#timezones option')].map(o => o.value)`))
	if err != nil || len(zones) < 300 || !contains(zones, "Europe/Kyiv") || !contains(zones, "America/Argentina/Buenos_Aires") {
		t.Errorf("timezone list: %d zones (%v)", len(zones), err)
	}

	// The affiliate form: the placeholders are the tenant's rule, and only
	// the chosen commission type's fields show.
	if _, err := app.Accounts.UpdateSettings(context.Background(), tenantID, account.SettingsInput{
		Commission: &conversion.Rule{Type: conversion.Percent, BasisPoints: 1250}}); err != nil {
		t.Fatal(err)
	}
	visible := func() []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('[data-commission]')].filter(e => e.offsetParent !== null).map(e => e.querySelector('input').name)`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	run("new affiliate", chromedp.Navigate(app.URL+"/affiliates/new"), chromedp.WaitVisible(`input[name=name]`))
	if p, err := chromedp.Run(ctx, chromedp.AttributeValue(`input[name=percent]`, "placeholder")); err != nil || p.Value != "12.5" {
		t.Errorf("percent placeholder %+v (%v), want the tenant's 12.5", p, err)
	}
	if v := visible(); len(v) != 0 {
		t.Errorf("with the tenant's default chosen, fields %v show", v)
	}
	run("percent", chromedp.Click(`input[name=commission_type][value=percent]`))
	if v := strings.Join(visible(), ","); v != "percent" {
		t.Errorf("with Percent chosen, fields %q show", v)
	}
	run("fixed", chromedp.Click(`input[name=commission_type][value=fixed]`))
	if v := strings.Join(visible(), ","); v != "fixed_amount,fixed_currency" {
		t.Errorf("with Fixed chosen, fields %q show", v)
	}
	shot("affiliate-form-fixed")
	run("create the affiliate",
		chromedp.Click(`input[name=commission_type][value=percent]`),
		chromedp.SendKeys(`input[name=name]`, "Jamie Rivera"),
		chromedp.SendKeys(`input[name=email]`, "jamie@partners.example"),
		chromedp.SendKeys(`input[name=code]`, "jamie"),
		chromedp.SendKeys(`input[name=percent]`, "15"),
		chromedp.Click(`button.btn-primary[type=submit]`),
		chromedp.WaitVisible(`#aff-link`),
	)

	// Without JavaScript every field shows, and the form still works.
	noJS := headless.NewIsolated(t, ctx)
	if _, err := chromedp.Call(noJS, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(noJS, chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "owner@acme.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`.main`),
		chromedp.Navigate(app.URL+"/affiliates/new"), chromedp.WaitVisible(`input[name=name]`)); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(noJS, chromedp.Evaluate[int](`[...document.querySelectorAll('[data-commission]')].filter(e => e.offsetParent !== null).length`))
	if err != nil || shown != 3 {
		t.Errorf("without JavaScript %d commission fields show (%v), want all 3", shown, err)
	}

	// The integration page writes 24-hour times, as every other page does
	// (Chromium's locale here is en-US, whose default is 12-hour).
	run("demo shop", chromedp.Navigate(app.URL+"/integration/demo?aff=jamie"), chromedp.WaitVisible(`.demo-card`),
		chromedp.Sleep(700*time.Millisecond), chromedp.Click(`.demo-card a.btn`), chromedp.WaitVisible(`.demo-card h1`),
		chromedp.Sleep(700*time.Millisecond))
	run("integration done", chromedp.Navigate(app.URL+"/integration"), chromedp.WaitVisible(`[data-step="link"].done`))
	for _, sel := range []string{`[data-status="click"]`, `[data-status="link"]`} {
		s := text(sel)
		if !regexp.MustCompile(`\b([01]\d|2[0-3]):[0-5]\d:[0-5]\d\b`).MatchString(s) || regexp.MustCompile(`(?i)\b[ap]\.?m\b`).MatchString(s) {
			t.Errorf("%s: %q is not a 24-hour time", sel, s)
		}
	}
	shot("integration-done")

	// A phone: every nav entry in sight, nothing wider than the screen, wide
	// tables scroll inside their card.
	run("phone", chromedp.EmulateViewport(390, 844))
	for _, page := range []struct{ name, path string }{
		{"overview", "/"}, {"clicks", "/clicks"}, {"affiliates", "/affiliates"}, {"settings", "/settings"}, {"integration", "/integration"},
	} {
		run(page.name, chromedp.Navigate(app.URL+page.path), chromedp.WaitVisible(`.main`))
		cut, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.nav-item')]
			.filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth || r.width === 0; })
			.map(a => a.textContent.trim())`))
		if err != nil || len(cut) > 0 {
			t.Errorf("%s: nav entries cut off or hidden at 390px: %v (%v)", page.path, cut, err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || width > 390 {
			t.Errorf("%s is %dpx wide at a 390px viewport (%v)", page.path, width, err)
		}
		shot("phone-" + page.name)
	}
	run("clicks on a phone", chromedp.Navigate(app.URL+"/clicks"), chromedp.WaitVisible(`.table-wrap`))
	scroll, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const w = document.querySelector('.table-wrap');
		const hint = w.nextElementSibling;
		return {overflow: getComputedStyle(w).overflowX, wider: w.scrollWidth > w.clientWidth,
			hint: hint && hint.matches('.scroll-hint') && hint.offsetParent !== null ? hint.textContent : ''};
	})()`))
	if err != nil || scroll["overflow"] != "auto" || scroll["wider"] != true || scroll["hint"] == "" {
		t.Errorf("the clicks table on a phone: %v (%v); want a sideways-scrolling table wider than its card, with a hint", scroll, err)
	}
	shot("phone-clicks")
	run("desktop again", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(app.URL+"/affiliates"), chromedp.WaitVisible(`.table-wrap`))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('.scroll-hint')].filter(h => !h.hidden).length`)); err != nil || n != 0 {
		t.Errorf("a table that fits has a scroll hint (%d, %v)", n, err)
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

func tenantOf(t *testing.T, app *apptest.App, email string) string {
	t.Helper()
	u, err := app.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.TenantID
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
