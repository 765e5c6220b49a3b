package tracking_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/browser"
)

// snippet is the loader exactly as SPEC.md §2 prints it, with our src.
const snippet = `<script async src="%s/tracking.js"></script>
<script>
(function(t,d,k){(t[k]=t[k]||[]).push(d);t[d]=t[d]||t[k].f||function(){(t[d].q=t[d].q||[]).push(arguments)}})(window,"trackdesk","TrackdeskObject");
trackdesk('%s', 'click');
</script>`

// merchantSite serves a merchant's pages, on another origin than the app
// (localhost vs 127.0.0.1), with the snippet pasted verbatim.
func merchantSite(t *testing.T, appURL, tenantID, originID string) string {
	head := fmt.Sprintf(snippet, appURL, tenantID)
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><html><head><title>Shop</title>%s</head><body>%s</body></html>", head, body)
		}
	}
	mux.HandleFunc("/landing", page(`<h1>Welcome</h1>`))
	mux.HandleFunc("/plain", page(`<h1>No affiliate here</h1>`))
	mux.HandleFunc("/pricing", page(`<a id="pay" href="https://buy.stripe.com/test_pay?locale=de#top">Buy</a>`))
	mux.HandleFunc("/thanks", page(fmt.Sprintf(`<h1>Thank you</h1><script>
trackdesk('%s', 'externalCid', {externalCid: '  Buyer@Example.COM ', revenueOriginId: '%s'}, function (r) { window.linked = r; });
</script>`, tenantID, originID)))
	// The script arrives late here: every call waits in the queue.
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><script>
(function(t,d,k){(t[k]=t[k]||[]).push(d);t[d]=t[d]||t[k].f||function(){(t[d].q=t[d].q||[]).push(arguments)}})(window,"trackdesk","TrackdeskObject");
trackdesk('%s', 'click', function (r) { window.clicked = r; });
setTimeout(function () { var s = document.createElement('script'); s.async = true; s.src = '%s/tracking.js'; document.head.appendChild(s); }, 300);
</script></head><body>late</body></html>`, tenantID, appURL)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

func TestTrackerInBrowserAgainstTheServer(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Browser Shop")
	site := merchantSite(t, a.URL, ten.ID, ten.OriginID)
	aff, err := a.Accounts.CreateAffiliate(context.Background(), ten.ID, account.AffiliateInput{
		Name: "Partner", Email: "partner@example.com", Code: "browser-partner", LandingURL: site + "/landing",
	})
	if err != nil {
		t.Fatal(err)
	}
	chrome := browser.New(t)

	t.Run("click then thank-you", func(t *testing.T) {
		ctx := browser.NewIsolated(t, chrome)
		browser.ScreenshotOnFailure(t, ctx)
		mustRun(t, ctx, chromedp.Navigate(site+"/landing?aff=browser-partner&utm_source=news"))
		cookie := waitCookie(t, ctx, site)
		cid := strings.TrimSuffix(strings.TrimPrefix(cookie, `{"cid":"`), `"}`)
		if cid == cookie || cid == "" {
			t.Fatalf("cookie value %q is not the raw JSON {\"cid\":…}", cookie)
		}
		if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE id = $1 AND affiliate_id = $2 AND utm_source = 'news'`, cid, aff.ID); n != 1 {
			t.Fatalf("no click row for the cookie's cid %s", cid)
		}
		mustRun(t, ctx, chromedp.Navigate(site+"/thanks"))
		waitTrue(t, ctx, `window.linked && window.linked.ok === true`)
		if n := a.QueryInt(t, `SELECT count(*) FROM customer_links WHERE click_id = $1 AND external_cid = 'buyer@example.com' AND revenue_origin_id = $2`, cid, ten.OriginID); n != 1 {
			t.Errorf("no link row for the thank-you call")
		}
		_, data := a.Do(t, "GET", "/api/v1/clicks?affiliate_id="+aff.ID, nil, "Authorization: Bearer "+ten.Token)
		if !strings.Contains(string(data), `"external_cid":"buyer@example.com"`) {
			t.Errorf("the API does not show the link: %s", data)
		}
		browser.Screenshot(t, ctx, "merchant-thanks")
	})

	t.Run("payment links on a later page", func(t *testing.T) {
		ctx := browser.NewIsolated(t, chrome)
		browser.ScreenshotOnFailure(t, ctx)
		mustRun(t, ctx, chromedp.Navigate(site+"/landing?aff=browser-partner"))
		cookie := waitCookie(t, ctx, site)
		cid := strings.TrimSuffix(strings.TrimPrefix(cookie, `{"cid":"`), `"}`)
		mustRun(t, ctx, chromedp.Navigate(site+"/pricing"))
		want := "https://buy.stripe.com/test_pay?locale=de&client_reference_id=" + cid + "#top"
		waitTrue(t, ctx, fmt.Sprintf(`document.getElementById('pay').getAttribute('href') === %q`, want))
	})

	t.Run("calls queued before the script loads", func(t *testing.T) {
		ctx := browser.NewIsolated(t, chrome)
		mustRun(t, ctx, chromedp.Navigate(site+"/late?ref=browser-partner"))
		waitTrue(t, ctx, `window.clicked && typeof window.clicked.cid === 'string'`)
		waitCookie(t, ctx, site)
	})

	t.Run("page without an affiliate", func(t *testing.T) {
		ctx := browser.NewIsolated(t, chrome)
		before := a.QueryInt(t, `SELECT count(*) FROM clicks`)
		mustRun(t, ctx, chromedp.Navigate(site+"/plain"))
		waitTrue(t, ctx, `window.TrackdeskObject && typeof window.TrackdeskObject.f === 'function'`)
		time.Sleep(300 * time.Millisecond)
		if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != before {
			t.Errorf("a page without an affiliate made a click")
		}
		if c := browser.Cookie(t, ctx, site, "trakdesk_cid"); c != nil {
			t.Errorf("cookie set without an affiliate: %v", c.Value)
		}
	})

	t.Run("redirect link", func(t *testing.T) {
		ctx := browser.NewIsolated(t, chrome)
		mustRun(t, ctx, chromedp.Navigate(a.URL+"/r/browser-partner"))
		cookie := waitCookie(t, ctx, site)
		cid := strings.TrimSuffix(strings.TrimPrefix(cookie, `{"cid":"`), `"}`)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(loc, site+"/landing") || !strings.Contains(loc, "cid="+cid) {
			t.Errorf("landed on %s with cookie %s", loc, cookie)
		}
		if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE id = $1`, cid); n != 1 {
			t.Errorf("the redirect's click %s is not stored (or the tracker made another)", cid)
		}
	})
}

func mustRun(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func waitTrue(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

// waitCookie waits for the tracker's cookie on the merchant's site.
func waitCookie(t *testing.T, ctx context.Context, site string) string {
	t.Helper()
	waitTrue(t, ctx, `document.cookie.indexOf('trakdesk_cid=') >= 0`)
	c := browser.Cookie(t, ctx, site, "trakdesk_cid")
	if c == nil {
		t.Fatal("no trakdesk_cid cookie")
	}
	if c.Path != "/" || c.SameSite != "Lax" {
		t.Errorf("cookie path %q samesite %q", c.Path, c.SameSite)
	}
	return c.Value
}
