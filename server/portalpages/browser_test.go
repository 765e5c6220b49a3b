package portalpages_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestBrowser renders the portal's pages in headless Chromium at desktop
// and phone width (screenshots in artifacts/), copies the affiliate's link
// with the copy button, and checks that no page overflows 390px or breaks
// the CSP.
func TestBrowser(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	if _, err := w.st.SetAffiliateCoupons(t.Context(), w.tenant.ID, w.me.ID, []string{"jane10", "spring-sale"}); err != nil {
		t.Fatal(err)
	}
	w.payout("po_feb", w.me, "usd", "paid", "PAYPAL-7F3K2", 18450, w.now.AddDate(0, 0, -12))
	w.payout("po_mar", w.me, "usd", "pending", "", 6200, w.now.AddDate(0, 0, -1))
	w.payout("po_eur", w.me, "eur", "paid", "PAYPAL-99QX", 4100, w.now.AddDate(0, 0, -40))
	customers := []string{"jordan@example.com", "maria.lopez@shop.example", "kim@corp.example", "sam@mail.example", "li.wei@example.org"}
	statuses := []string{"approved", "pending", "approved", "refunded", "disputed", "approved", "pending"}
	for i := 0; i < 40; i++ {
		at := w.now.Add(-time.Duration(i*17+3) * time.Hour)
		cur := "usd"
		if i%6 == 5 {
			cur = "eur"
		}
		st := statuses[i%len(statuses)]
		amount := int64(2900 + (i*1373)%9000)
		commission := amount / 5
		if st == "refunded" {
			amount, commission = 0, 0
		}
		payout := ""
		if st == "approved" && i > 12 && cur == "usd" {
			payout = "po_feb"
		}
		w.conversion(w.me, at, customers[i%len(customers)], cur, st, amount, commission, payout)
	}
	for d := 0; d < 30; d++ {
		w.clicks(w.me, 5+(d*7)%23, w.now.AddDate(0, 0, -d).Add(-time.Hour))
	}

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
	base := w.srv.URL + "/p/acme"

	run("desktop", chromedp.EmulateViewport(1366, 900))
	run("home", chromedp.Navigate(base), chromedp.WaitVisible(`.stats`))
	if s := text("#portal-link"); s != "https://track.example/r/jane" {
		t.Fatalf("link %q", s)
	}
	if s := text("#portal-coupons"); !strings.Contains(s, "JANE10") || !strings.Contains(s, "SPRING-SALE") {
		t.Fatalf("coupons %q", s)
	}
	headless.Screenshot(t, ctx, "portal-home")

	// The copy button puts the link on the clipboard.
	run("clipboard permission", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := cdp.Call(ctx, tg, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: w.srv.URL,
			}); err != nil {
				return err
			}
		}
		return nil
	}))
	run("copy", chromedp.Click(`button[data-copy="portal-link"]`), chromedp.WaitVisible(`button.copied[data-copy="portal-link"]`))
	if s := text(`button[data-copy="portal-link"]`); s != "Copied" {
		t.Fatalf("copy button says %q", s)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the clipboard: %v", err)
	}
	if got != "https://track.example/r/jane" {
		t.Fatalf("clipboard holds %q", got)
	}

	run("conversions", chromedp.Navigate(base+"/conversions"), chromedp.WaitVisible(`table`))
	if s := text("table tbody"); !strings.Contains(s, "j***@example.com") || strings.Contains(s, "jordan") {
		t.Fatalf("conversions: %q", s)
	}
	headless.Screenshot(t, ctx, "portal-conversions")
	run("payouts", chromedp.Navigate(base+"/payouts"), chromedp.WaitVisible(`table`))
	if s := text("table tbody"); !strings.Contains(s, "PAYPAL-7F3K2") {
		t.Fatalf("payouts: %q", s)
	}
	headless.Screenshot(t, ctx, "portal-payouts")
	run("settings", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(`input[name=payout_email]`))
	run("bad payout email",
		chromedp.SendKeys(`input[name=payout_email]`, "jane at paypal"),
		chromedp.SendKeys(`#payout input[name=current_password]`, janePassword),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#payout form').noValidate = true`),
		chromedp.Submit(`input[name=payout_email]`),
		chromedp.WaitVisible(`#payout .alert-error`),
	)
	if s := text("#payout .alert-error"); !strings.Contains(s, "not an email address") {
		t.Fatalf("payout email error %q", s)
	}
	headless.Screenshot(t, ctx, "portal-settings")

	// Phone width: nothing is wider than the screen.
	run("phone", chromedp.EmulateViewport(390, 844))
	for _, page := range []struct{ name, path, wait string }{
		{"home", "", ".stats"}, {"conversions", "/conversions", "table"}, {"payouts", "/payouts", "table"}, {"settings", "/settings", "form"},
	} {
		run(page.name, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 {
			t.Errorf("%s is %dpx wide at a 390px viewport", page.name, width)
		}
		name := "portal-" + page.name + "-phone"
		if page.name != "home" {
			name = fmt.Sprintf("portal-phone-%s", page.name)
		}
		headless.Screenshot(t, ctx, name)
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
