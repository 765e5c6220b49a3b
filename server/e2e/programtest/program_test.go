package programtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	headless "github.com/tracklane/tracklane/server/testkit/browser"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/mailpit"
)

const (
	liveKey  = "sk_live_program"
	account_ = "acct_1Program"
	owner    = "owner@acme-coffee.example"
	password = "correct horse battery"
	partner  = "sam@partners.example"
	payTo    = "sam.pay@partners.example"
	buyer    = "Buyer@Customers.example"
)

// shop is the merchant's site: the loader snippet pasted verbatim in every
// page (only the script's src is Tracklane's), and a thank-you page that
// links the buyer's email to the click.
func shop(t *testing.T, tracker *atomic.Value, tenantID *atomic.Value) *httptest.Server {
	t.Helper()
	page := func(extra string) string {
		return `<!doctype html><meta charset="utf-8"><title>Acme Coffee</title>
<script async src="` + tracker.Load().(string) + `/tracking.js"></script>
<script>
(function(t,d,k){(t[k]=t[k]||[]).push(d);t[d]=t[d]||t[k].f||function(){(t[d].q=t[d].q||[]).push(arguments)}})(window,"trackdesk","TrackdeskObject");
trackdesk('` + tenantID.Load().(string) + `', 'click');
` + extra + `
</script><h1>Acme Coffee</h1>`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(""))
	})
	mux.HandleFunc("GET /thanks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(`trackdesk('`+tenantID.Load().(string)+`', 'externalCid', {externalCid: '`+buyer+`'}, function (r) { window.linked = r; });`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestProgramEndToEnd: the "done when", in browsers.
func TestProgramEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mp := mailpit.Start(t)
	fs := fakestripe.New()
	t.Cleanup(fs.Close)
	fs.AddKey(liveKey)
	var trackerURL, tenantIDv atomic.Value
	site := shop(t, &trackerURL, &tenantIDv)
	app := apptest.New(t, map[string]string{
		"SMTP_URL": mp.SMTPURL(), "MAIL_FROM": "Acme Affiliates <affiliates@acme-coffee.example>",
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_API_BASE": fs.URL(),
	})
	trackerURL.Store(app.URL)
	app.RunMail(t)

	created, err := app.Accounts.CreateTenant(ctx, account.NewTenantInput{Name: "Acme Coffee", Email: owner, Password: password, Website: site.URL})
	if err != nil {
		t.Fatal(err)
	}
	tenant := created.Tenant
	tenantIDv.Store(tenant.ID)
	zero := 0
	if _, err := app.Accounts.UpdateSettings(ctx, tenant.ID, account.SettingsInput{HoldDays: &zero}); err != nil {
		t.Fatal(err)
	}
	conn, err := app.Store.Connect(ctx, tenant.ID, account_, true, "usr_program", "…gram")
	if err != nil {
		t.Fatal(err)
	}
	portal := app.URL + "/p/" + tenant.Slug

	merchant := headless.New(t)
	dialogs := headless.AcceptDialogs(t, merchant) // "Mark paid" asks first
	headless.ScreenshotOnFailure(t, merchant)
	affiliate := headless.NewIsolated(t, merchant)
	visitor := headless.NewIsolated(t, merchant)
	// The customer is someone else, on another browser: the same IP and user
	// agent as Sam's portal would flag the email link (affiliate_own_browser).
	if _, err := chromedp.Call(visitor, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Customer/1.0"}); err != nil {
		t.Fatal(err)
	}
	do := func(b context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(b context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	check := func() {
		t.Helper()
		r, err := app.Engine.CheckNow(ctx, conn)
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		t.Logf("check: %+v", r)
	}

	// 1. Sam applies through the program's public form; the merchant is mailed.
	do(affiliate, "apply", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(portal+"/join"), chromedp.WaitVisible(`input[name=name]`),
		chromedp.SendKeys(`input[name=name]`, "Sam <Partner>"),
		chromedp.SendKeys(`input[name=email]`, partner),
		chromedp.SendKeys(`input[name=password]`, "a long partner password"),
		chromedp.SendKeys(`input[name=code]`, "sam"),
		chromedp.SendKeys(`input[name=payout_email]`, payTo),
		chromedp.Click(`button[type=submit]`), chromedp.WaitNotPresent(`input[name=payout_email]`))
	applied := mp.WaitFor(t, owner, 1)
	if m := mp.Message(t, applied[0].ID); !strings.Contains(m.Text, "Sam <Partner>") || strings.Contains(m.HTML, "Sam <Partner>") {
		t.Errorf("the application mail to the merchant: text %q; the HTML must escape the name", m.Text)
	}
	sam, err := app.Store.AffiliateByLinkCode(ctx, "sam")
	if err != nil || sam.Status != "pending" {
		t.Fatalf("the applicant: %+v (%v), want pending", sam, err)
	}

	// 2. The merchant approves Sam from the dashboard; Sam is mailed.
	do(merchant, "merchant login", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, owner), chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`.main`))
	do(merchant, "approve", chromedp.Navigate(app.URL+"/affiliates/"+sam.ID), chromedp.WaitVisible(`form[action$="/approve"] button`),
		chromedp.Click(`form[action$="/approve"] button`), chromedp.WaitVisible(`form[action$="/suspend"] button`))
	mp.WaitFor(t, partner, 1)

	// 3. Sam logs in to the portal and copies the link.
	do(affiliate, "portal login", chromedp.Navigate(portal+"/login"), chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, partner), chromedp.SendKeys(`input[name=password]`, "a long partner password"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`#portal-link`))
	link := strings.TrimSpace(text(affiliate, `#portal-link`))
	if link != app.URL+"/r/sam" {
		t.Fatalf("the portal shows the link %q", link)
	}

	// 4. A visitor follows it, buys, and the thank-you page links the email.
	do(visitor, "visit the link", chromedp.Navigate(link), chromedp.WaitVisible(`h1`))
	waitFor(t, "the click", func() bool {
		return app.QueryInt(t, `SELECT count(*) FROM clicks WHERE tenant_id = $1 AND affiliate_id = $2`, tenant.ID, sam.ID) == 1
	})
	do(visitor, "thank-you page", chromedp.Navigate(site.URL+"/thanks"), chromedp.WaitVisible(`h1`))
	waitFor(t, "the email link", func() bool {
		return app.QueryInt(t, `SELECT count(*) FROM customer_links WHERE tenant_id = $1`, tenant.ID) == 1
	})

	// 5. Stripe bills the customer; the check makes an approved conversion
	// (hold 0) of 20% of $100.
	now := time.Now().UTC()
	customer := fs.CreateCustomer(account_, true, strings.ToLower(buyer), now.Add(-time.Minute))
	_, charge := fs.PayInvoice(account_, true, fakestripe.InvoiceParams{Customer: customer, AmountPaid: 10000, Currency: "usd", At: time.Now().UTC()})
	check()
	if n := app.QueryInt(t, `SELECT count(*) FROM conversions WHERE tenant_id = $1 AND affiliate_id = $2 AND status = 'approved' AND commission = 2000`, tenant.ID, sam.ID); n != 1 {
		t.Fatalf("%d approved conversions of $20 commission for Sam", n)
	}

	// 6. Sam sees it in the portal, the customer masked.
	do(affiliate, "portal conversions", chromedp.Navigate(portal+"/conversions"), chromedp.WaitVisible(`.main`))
	if s := text(affiliate, `.main`); !strings.Contains(s, "b***@customers.example") || strings.Contains(strings.ToLower(s), "buyer@") || !strings.Contains(s, "$20.00") {
		t.Errorf("the portal's conversions: %q", s)
	}
	headless.Screenshot(t, affiliate, "program-portal-conversions")

	// 7. The merchant creates the payout, downloads the PayPal file and
	// marks it paid; Sam is mailed at the payout email.
	do(merchant, "create payouts", chromedp.Navigate(app.URL+"/payouts"), chromedp.WaitVisible(`#create-payouts`),
		chromedp.Click(`#create-payouts`), chromedp.WaitVisible(`form.paid-form`))
	csv, err := chromedp.Run(merchant, chromedp.Evaluate[string](`fetch('/payouts/paypal.csv').then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(csv, payTo+",20.00,USD,") {
		t.Fatalf("the PayPal file: %q (%v)", csv, err)
	}
	headless.Screenshot(t, merchant, "program-payouts-pending")
	do(merchant, "mark paid", chromedp.SendKeys(`form.paid-form input[name=reference]`, "PP-BATCH-1"),
		chromedp.Click(`form.paid-form button[type=submit]`), chromedp.WaitNotPresent(`form.paid-form`))
	if asked := dialogs.Messages(); len(asked) != 1 || !strings.Contains(asked[0], "Mark this payout of $20.00 paid?") {
		t.Errorf("marking paid asked %q; want one confirmation naming the amount", asked)
	}
	paidMail := mp.WaitFor(t, payTo, 1)
	if m := mp.Message(t, paidMail[0].ID); !strings.Contains(m.Subject+m.Text, "$20.00") || !strings.Contains(m.Text, "PP-BATCH-1") {
		t.Errorf("the payout mail: %q / %q", m.Subject, m.Text)
	}
	do(affiliate, "portal payouts", chromedp.Navigate(portal+"/payouts"), chromedp.WaitVisible(`.main`))
	if s := text(affiliate, `.main`); !strings.Contains(s, "PP-BATCH-1") || !strings.Contains(s, "$20.00") {
		t.Errorf("the portal's payouts: %q", s)
	}
	headless.Screenshot(t, affiliate, "program-portal-payouts")

	// 8. Half the first sale is refunded after its payout: Sam owes $10.
	// The customer's next payment ($100, $20 commission) makes the next
	// payout: $20 less the $10 clawed back.
	fs.Refund(account_, charge, 5000, time.Now().UTC())
	check()
	fs.PayInvoice(account_, true, fakestripe.InvoiceParams{Customer: customer, AmountPaid: 10000, Currency: "usd", At: time.Now().UTC()})
	check()
	do(merchant, "the next payout", chromedp.Navigate(app.URL+"/payouts"), chromedp.WaitVisible(`#create-payouts`),
		chromedp.Click(`#create-payouts`), chromedp.WaitVisible(`form.paid-form`))
	headless.Screenshot(t, merchant, "program-payouts-clawback")
	code, body := app.Do(t, "GET", "/api/v1/payouts?status=pending", nil, "Authorization: Bearer "+created.PersonalToken)
	next := apptest.Decode[struct {
		Data []struct {
			Amount      int64 `json:"amount"`
			Adjustments []struct {
				Amount int64 `json:"amount"`
			} `json:"adjustments"`
			ConversionIDs []string `json:"conversion_ids"`
		} `json:"data"`
	}](t, body)
	if code != http.StatusOK || len(next.Data) != 1 || next.Data[0].Amount != 1000 || len(next.Data[0].ConversionIDs) != 1 ||
		len(next.Data[0].Adjustments) != 1 || next.Data[0].Adjustments[0].Amount != -1000 {
		t.Fatalf("the next payout: %d %s; want $10.00: one $20 conversion less a $10 clawback", code, body)
	}
	csv, err = chromedp.Run(merchant, chromedp.Evaluate[string](`fetch('/payouts/paypal.csv').then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(csv, payTo+",10.00,USD,") {
		t.Errorf("the second PayPal file: %q (%v)", csv, err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
