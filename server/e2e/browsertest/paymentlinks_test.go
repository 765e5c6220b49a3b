package browsertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracklane/tracklane/server/testkit/browser"
)

// The tests of Payment Link decoration (SPEC.md sections 10 and 12): while a
// click id is stored, every page that runs the click command adds
// client_reference_id=<cid> to its links to https://buy.stripe.com, and to
// those added or changed later.

// countWrites goes before the snippet: it counts the href changes of each
// link with an id (window.hrefWrites), to prove the tracker writes a link
// once and does not loop on its own change.
const countWrites = `<script>
window.hrefWrites = {};
if (window.MutationObserver) new MutationObserver(function (rs) {
  rs.forEach(function (r) { hrefWrites[r.target.id] = (hrefWrites[r.target.id] || 0) + 1; });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['href']});
</script>
`

// shopLinks is the merchant's page body: Payment Links, and links that must
// stay as they are.
const shopLinks = `<h1>Pricing</h1>
<a id="plain" href="https://buy.stripe.com/test_plain">Buy</a>
<a id="query" href="https://buy.stripe.com/test_query?prefilled_email=a%40b.example&amp;locale=fr#plan">Buy</a>
<a id="upper" href="https://BUY.Stripe.com:443/test_upper">Buy</a>
<a id="merchant" href="https://buy.stripe.com/test_m?client_reference_id=order_42">Buy</a>
<a id="empty" href="https://buy.stripe.com/test_e?client_reference_id=&amp;x=1">Buy</a>
<map name="m"><area id="area" shape="rect" coords="0,0,10,10" href="https://buy.stripe.com/test_area"></map>
<a id="http" href="http://buy.stripe.com/test_http">no</a>
<a id="lookalike" href="https://buy.stripe.com.evil.example/test_l">no</a>
<a id="port" href="https://buy.stripe.com:8443/test_port">no</a>
<a id="inpath" href="https://evil.example/buy.stripe.com/x?u=https://buy.stripe.com/x">no</a>
<a id="stripe" href="https://stripe.com/pricing">no</a>
<a id="relative" href="/pricing?plan=pro">no</a>
<a id="broken" href="https://[broken">no</a>
<a id="changed" href="/contact">becomes a Payment Link</a>
<div id="later"></div>
`

// untouched are shopLinks' links that are not Payment Links, or hold the
// merchant's own client_reference_id: they never change.
var untouched = map[string]string{
	"merchant":  "https://buy.stripe.com/test_m?client_reference_id=order_42",
	"http":      "http://buy.stripe.com/test_http",
	"lookalike": "https://buy.stripe.com.evil.example/test_l",
	"port":      "https://buy.stripe.com:8443/test_port",
	"inpath":    "https://evil.example/buy.stripe.com/x?u=https://buy.stripe.com/x",
	"stripe":    "https://stripe.com/pricing",
	"relative":  "/pricing?plan=pro",
	"broken":    "https://[broken",
	"changed":   "/contact",
}

// decorated returns the exact hrefs of shopLinks with cid in the Payment
// Links ("" for none: the page as written).
func decorated(cid string) map[string]string {
	want := maps.Clone(untouched)
	links := map[string]string{
		"plain": "https://buy.stripe.com/test_plain",
		"query": "https://buy.stripe.com/test_query?prefilled_email=a%40b.example&locale=fr#plan",
		"upper": "https://BUY.Stripe.com:443/test_upper",
		"empty": "https://buy.stripe.com/test_e?client_reference_id=&x=1",
		"area":  "https://buy.stripe.com/test_area",
	}
	if cid != "" {
		crid := "client_reference_id=" + cid
		links = map[string]string{
			"plain": "https://buy.stripe.com/test_plain?" + crid,
			"query": "https://buy.stripe.com/test_query?prefilled_email=a%40b.example&locale=fr&" + crid + "#plan",
			// The browser writes the whole URL back, normalised.
			"upper": "https://buy.stripe.com/test_upper?" + crid,
			// An empty value is nobody's: ours goes last.
			"empty": "https://buy.stripe.com/test_e?x=1&" + crid,
			"area":  "https://buy.stripe.com/test_area?" + crid,
		}
	}
	maps.Copy(want, links)
	return want
}

// hrefs reads the href attribute of every link with an id.
const hrefs = `(function () {
  var o = {};
  document.querySelectorAll('a[id], area[id]').forEach(function (a) { o[a.id] = a.getAttribute('href'); });
  return o;
})()`

// waitHrefs waits until the page's links have exactly the hrefs of want.
func waitHrefs(t *testing.T, ctx context.Context, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := eval[map[string]string](t, ctx, hrefs)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("links:\n%s", hrefDiff(got, want))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func hrefDiff(got, want map[string]string) string {
	ids := maps.Clone(got)
	maps.Copy(ids, want)
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		mark := "  "
		if got[id] != want[id] {
			mark = "✗ "
		}
		fmt.Fprintf(&b, "%s#%s: %q, want %q\n", mark, id, got[id], want[id])
	}
	return b.String()
}

// checkWrites checks how many times each link's href changed; links not in
// want never changed.
func checkWrites(t *testing.T, ctx context.Context, want map[string]int) {
	t.Helper()
	settle() // a loop would keep writing
	got := eval[map[string]int](t, ctx, "window.hrefWrites")
	if !maps.Equal(got, want) {
		t.Errorf("href changes per link %v, want %v", got, want)
	}
}

// once is the writes of one decoration of shopLinks.
var once = map[string]int{"plain": 1, "query": 1, "upper": 1, "empty": 1, "area": 1}

// testPaymentLinks follows a visitor from the landing page (?aff=) to a later
// page without it: both decorate the Payment Links, at load and as they are
// added or changed, and a newer click id replaces ours but never the
// merchant's value.
func testPaymentLinks(t *testing.T, chrome context.Context) {
	ctx, tr, m := setup(t, chrome, 0)
	m.page("/shop", countWrites+snippet(tr.URL, "")+shopLinks)

	// The landing page: no cid stored yet, so the links change once, when the
	// click's answer is stored.
	navigate(t, ctx, m.URL+"/shop?aff=partner1")
	tr.waitCalls(t, clickPath, 1)
	waitHrefs(t, ctx, decorated(stubCID))
	checkWrites(t, ctx, once)
	browser.Screenshot(t, ctx, "payment-links-landing")

	// Links added, and changed, by the page's own script afterwards.
	eval[chromedp.Void](t, ctx, `
document.getElementById('later').innerHTML = '<p><a id="added" href="https://buy.stripe.com/test_added?a=1&amp;b=%20x#f">Buy</a>' +
  '<a id="added-other" href="https://example.com/buy?a=1">no</a></p>';
document.getElementById('changed').href = 'https://buy.stripe.com/test_changed#x';
document.getElementById('plain').setAttribute('href', 'https://buy.stripe.com/test_plain2?x=1#y');
document.getElementById('http').href = 'http://buy.stripe.com/test_http2';`)
	want := decorated(stubCID)
	want["added"] = "https://buy.stripe.com/test_added?a=1&b=%20x&client_reference_id=" + stubCID + "#f"
	want["added-other"] = "https://example.com/buy?a=1"
	want["changed"] = "https://buy.stripe.com/test_changed?client_reference_id=" + stubCID + "#x"
	want["plain"] = "https://buy.stripe.com/test_plain2?x=1&client_reference_id=" + stubCID + "#y"
	want["http"] = "http://buy.stripe.com/test_http2"
	waitHrefs(t, ctx, want)
	// The page's change and ours, once each; the added links were inserted
	// with their href, which is no href change.
	checkWrites(t, ctx, map[string]int{"plain": 3, "query": 1, "upper": 1, "empty": 1, "area": 1, "changed": 2, "http": 1, "added": 1})

	// A later page, without ?aff=: decorated from the stored cid as it loads,
	// with no request.
	navigate(t, ctx, m.URL+"/shop")
	waitHrefs(t, ctx, decorated(stubCID))
	checkWrites(t, ctx, once)
	if n := len(tr.calls(clickPath)); n != 1 {
		t.Errorf("%d click requests, want 1 (the later page made one)", n)
	}

	// A newer click id (here from a redirect link's ?cid=, on the same page)
	// replaces the one we put in, never the merchant's own value.
	eval[chromedp.Void](t, ctx, `history.replaceState(null, '', '/shop?cid=newer_2'); trackdesk('T1', 'click')`)
	waitHrefs(t, ctx, decorated("newer_2"))
	checkCookie(t, ctx, m, "newer_2")
	if errs := pageErrors(t, ctx); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// testPaymentLinksWithoutCid: with no click id stored, or one Stripe would
// refuse (over 200 characters), no link changes, not even one added later;
// the localStorage fallback is enough to decorate.
func testPaymentLinksWithoutCid(t *testing.T, chrome context.Context) {
	ctx, tr, m := setup(t, chrome, 0)
	m.page("/shop", countWrites+snippet(tr.URL, `trackdesk('T1', 'click', keep('click'));`)+shopLinks)
	addLater := `document.getElementById('later').innerHTML = '<a id="added" href="https://buy.stripe.com/test_added">Buy</a>'`

	check := func(what string) {
		t.Helper()
		if got := result(t, ctx, "click"); got["cid"] != nil {
			t.Errorf("%s: click callback got %v, want cid null", what, got)
		}
		eval[chromedp.Void](t, ctx, addLater)
		settle()
		want := decorated("")
		want["added"] = "https://buy.stripe.com/test_added"
		if got := eval[map[string]string](t, ctx, hrefs); !maps.Equal(got, want) {
			t.Errorf("%s: links changed:\n%s", what, hrefDiff(got, want))
		}
		checkWrites(t, ctx, map[string]int{})
	}
	navigate(t, ctx, m.URL+"/shop")
	check("no cid")

	long := strings.Repeat("a", 201)
	eval[chromedp.Void](t, ctx, `document.cookie = 'trakdesk_cid={"cid":"`+long+`"}; path=/'`)
	navigate(t, ctx, m.URL+"/shop")
	check("a 201-character cid")

	eval[chromedp.Void](t, ctx, `document.cookie = 'trakdesk_cid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT';
localStorage.setItem('trakdesk_cid', '{"cid":"ls_7"}')`)
	navigate(t, ctx, m.URL+"/shop")
	waitHrefs(t, ctx, decorated("ls_7"))
	if n := len(tr.calls(clickPath)); n != 0 {
		t.Errorf("%d click requests from pages without an affiliate, want none", n)
	}
}

// testPaymentLinksOldBrowser: without MutationObserver (and URL) the links
// on the page are still decorated as it loads, links added later are left
// alone, and nothing throws.
func testPaymentLinksOldBrowser(t *testing.T, chrome context.Context) {
	ctx, tr, m := setup(t, chrome, 0)
	m.page("/shop", `<script>window.MutationObserver = undefined; window.URL = undefined;</script>
`+countWrites+snippet(tr.URL, "")+shopLinks)

	navigate(t, ctx, m.URL+"/shop?cid=old_1")
	waitHrefs(t, ctx, decorated("old_1"))
	eval[chromedp.Void](t, ctx, `document.getElementById('later').innerHTML = '<a id="added" href="https://buy.stripe.com/test_added">Buy</a>'`)
	settle()
	want := decorated("old_1")
	want["added"] = "https://buy.stripe.com/test_added"
	if got := eval[map[string]string](t, ctx, hrefs); !maps.Equal(got, want) {
		t.Errorf("links:\n%s", hrefDiff(got, want))
	}
	if errs := pageErrors(t, ctx); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
