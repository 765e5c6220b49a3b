package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
)

// TestReportedConversionInTheBrowser shows a conversion the site reported
// in the list (filtered by origin), its detail page and Settings ›
// Conversion types in Chromium, with screenshots, no page exception and no
// CSP violation; the type filter submits itself.
func TestReportedConversionInTheBrowser(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	ten := app.NewTenant(t, "Browser Reported")
	if _, err := app.Accounts.CreateAffiliate(context.Background(), ten.ID, account.AffiliateInput{Name: "Rae", Email: "rae@partners.example", Code: "rae"}); err != nil {
		t.Fatal(err)
	}
	cid := clickAndLink(t, app, ten.ID, "rae", "")
	status, body := app.Do(t, "POST", "/tracking/conversion/v1", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"lead",
		"externalId":"signup-9","customerId":"user-31","customParams":{"advS1":"newsletter","advS3":"from-query"}}`, ten.ID, cid))
	if status != http.StatusOK {
		t.Fatalf("report: %d %s", status, body)
	}
	id := *apptest.Decode[struct{ ConversionID *string }](t, body).ConversionID

	ctx := headless.New(t)
	headless.ScreenshotOnFailure(t, ctx)
	console := headless.Console(t, ctx)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("log in", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, ten.Email), chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`.sidebar`))
	run("list", chromedp.Navigate(app.URL+"/conversions"), chromedp.WaitVisible(`#f-type`))
	run("filter by type", chromedp.SetValue(`#f-type`, "lead"))
	// The filter submits itself: a navigation, during which the page's
	// context comes and goes.
	var loc string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if l, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.Contains(l, "type=lead") {
			loc = l
			break
		}
	}
	if loc == "" {
		t.Fatalf("the type filter did not submit")
	}
	run("filtered list", chromedp.WaitVisible(`table`))
	headless.Screenshot(t, ctx, "dashboard-conversions-reported")
	run("detail", chromedp.Navigate(app.URL+"/conversions/"+id), chromedp.WaitVisible(`.details`))
	text, err := chromedp.Run(ctx, chromedp.Text(`.details`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Site", "lead", "signup-9", "user-31", "advS1", "newsletter", "browser_reported"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail lacks %q: %s", want, text)
		}
	}
	headless.Screenshot(t, ctx, "dashboard-conversion-reported")
	run("types", chromedp.Navigate(app.URL+"/settings/conversion-types"), chromedp.WaitVisible(`#types`))
	headless.Screenshot(t, ctx, "dashboard-conversion-types")

	for _, m := range console.Exceptions() {
		t.Errorf("page exception: %v", m)
	}
	for _, m := range console.Messages() {
		if strings.Contains(strings.ToLower(m.Text), "content security policy") {
			t.Errorf("CSP violation: %s", m.Text)
		}
	}
}
