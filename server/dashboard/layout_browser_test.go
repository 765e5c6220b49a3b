package dashboard_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestBrowserEveryPageFitsPhoneAndLaptop opens every dashboard page, full
// of long names, several currencies, payouts and a clawback, at a phone's
// 390 px and a laptop's 1366 px: the page itself never scrolls sideways,
// and a table wider than its card scrolls inside its own box instead of
// being cut off. Each page's screenshot is saved (artifacts/layout-*).
func TestBrowserEveryPageFitsPhoneAndLaptop(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID, affs := payoutShop(t, app, b)
	long, err := app.Accounts.CreateAffiliate(context.Background(), tenantID, account.AffiliateInput{
		Name: "Maximiliana Alexandrovna Rodríguez-Worthington", Email: "maximiliana.alexandrovna.rodriguez-worthington@partner-agency.example",
		Code: "maximiliana-rodriguez-worthington-2026", LandingURL: "https://acme.example/collections/seasonal-single-origin-coffee?utm_source=affiliate&utm_campaign=winter",
	})
	if err != nil {
		t.Fatal(err)
	}
	app.ApprovedSale(t, tenantID, long, 1234567, "usd")
	ps, err := app.Accounts.CreatePayouts(context.Background(), tenantID, "")
	if err != nil || len(ps) == 0 {
		t.Fatalf("payouts %v %v", ps, err)
	}
	if _, err := app.Accounts.MarkPayoutPaid(context.Background(), tenantID, ps[0].ID, "PAYPAL-BATCH-0042-WITH-A-LONG-REFERENCE"); err != nil {
		t.Fatal(err)
	}
	app.ApprovedSale(t, tenantID, affs[0], 30000, "usd")
	clickAndLink(t, app, tenantID, long.Code, "a.really.long.customer.address.for.testing@customer-domain.example")
	var conversionID string
	if err := app.Store.DB().QueryRow(`SELECT id FROM conversions WHERE tenant_id = $1 ORDER BY amount DESC LIMIT 1`, tenantID).Scan(&conversionID); err != nil {
		t.Fatal(err)
	}

	ctx := headless.New(t)
	headless.ScreenshotOnFailure(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "owner@payouts.example"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.page-header`),
	); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ name, path string }{
		{"overview", "/"}, {"overview-90d", "/?period=90d"}, {"clicks", "/clicks"}, {"conversions", "/conversions"},
		{"conversion", "/conversions/" + conversionID}, {"payouts", "/payouts"},
		{"statement", "/payouts/affiliates/" + affs[0].ID}, {"affiliates", "/affiliates"},
		{"affiliates-applicants", "/affiliates?status=pending"}, {"affiliate-new", "/affiliates/new"},
		{"affiliate-edit", "/affiliates/" + long.ID}, {"settings", "/settings"},
		{"conversion-types", "/settings/conversion-types"}, {"integration", "/integration?affiliate=" + long.ID},
	}
	for _, width := range []int64{390, 1366} {
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(app.URL+p.path), chromedp.WaitVisible(`.main`)); err != nil {
				t.Fatalf("%s at %d: %v", p.path, width, err)
			}
			checkFits(t, ctx, fmt.Sprintf("%s at %dpx", p.path, width))
			if width == 1366 {
				// On a laptop every table shows all its columns.
				wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.scrollWidth - w.clientWidth)`))
				if err != nil || len(wide) > 0 {
					t.Errorf("%s at 1366px: tables scroll sideways by %v px (%v)", p.path, wide, err)
				}
			}
			headless.Screenshot(t, ctx, fmt.Sprintf("layout-%d-%s", width, p.name))
		}
	}
}

// checkFits fails when the page scrolls sideways, or when a table (or any
// element) is wider than its box without that box scrolling: it would be
// cut off.
func checkFits(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const vw = window.innerWidth;
		const clipped = [];
		for (const el of document.querySelectorAll('.main *')) {
			if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth <= 1) continue;
			// Inputs scroll their own text; screen-reader-only text is
			// clipped on purpose.
			if (el.matches('input, textarea, select, .sr-only')) continue;
			const ox = getComputedStyle(el).overflowX;
			if (ox === 'auto' || ox === 'scroll') continue;
			// Text that wraps or is meant to end with an ellipsis is fine.
			if (getComputedStyle(el).textOverflow === 'ellipsis') continue;
			if (ox === 'hidden' || ox === 'clip') {
				clipped.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') +
					' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
			}
		}
		const outside = [...document.querySelectorAll('body *')]
			.filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > vw + 1; })
			.filter(el => { for (let p = el.parentElement; p; p = p.parentElement) { const ox = getComputedStyle(p).overflowX; if (ox === 'auto' || ox === 'scroll') return false; } return true; })
			.filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= vw + 1)
			.map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') +
				' (right ' + Math.round(el.getBoundingClientRect().right) + ')');
		return {width: document.documentElement.scrollWidth, vw, clipped: clipped.slice(0, 5), outside: outside.slice(0, 5)};
	})()`))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if w, vw := res["width"].(float64), res["vw"].(float64); w > vw {
		t.Errorf("%s: the page is %.0fpx wide, wider than the %.0fpx screen", where, w, vw)
	}
	if c, _ := res["clipped"].([]any); len(c) > 0 {
		t.Errorf("%s: content cut off: %v", where, c)
	}
	if o, _ := res["outside"].([]any); len(o) > 0 {
		t.Errorf("%s: past the right edge: %v", where, o)
	}
}
