package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/browser"
)

// conversionWorld is the real server with a tenant, an affiliate (code
// "partner", coupon MY_COUPON_CODE) and a merchant site whose pages are
// written the way Trackdesk's published examples are: the loader, then
// trackdesk(tenant, "conversion", {…}).
type conversionWorld struct {
	app    *apptest.App
	tenant apptest.Tenant
	affID  string
	site   *merchant
}

func newConversionWorld(t *testing.T) *conversionWorld {
	t.Helper()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Trackdesk Shop")
	aff := a.NewAffiliate(t, ten.ID, "partner")
	if _, err := a.Accounts.SetCoupons(context.Background(), ten.ID, aff.ID, []string{"MY_COUPON_CODE"}); err != nil {
		t.Fatal(err)
	}
	return &conversionWorld{app: a, tenant: ten, affID: aff.ID, site: newMerchant(t)}
}

// page serves path with the loader (src: the real server) and calls.
func (w *conversionWorld) page(path, calls string) string {
	s := strings.Replace(loader, "http://localhost:8080", w.app.URL, 1)
	s = strings.Replace(s, "trackdesk('TENANT_ID', 'click');", calls, 1)
	w.site.page(path, strings.ReplaceAll(s, "TENANT_ID", w.tenant.ID))
	return w.site.URL + path
}

// exampleOptions is the options object of Trackdesk's HTML examples.
const exampleOptions = `conversionType: "sale",
            amount: {
                value: "4.50"
            },
            externalId: "EXTERNAL_ID",
            customerId: "cid-11",
            customParams: {
                advS1: "123",
                advS3: {queryParam: "advS3"},
                advS5: {queryParam: "advS5"},
            }`

func example(externalID, extra string) string {
	return "{\n" + extra + strings.Replace(exampleOptions, "EXTERNAL_ID", externalID, 1) + "\n}"
}

// conversionRow is what the server stored for a conversion of externalId.
type conversionRow struct {
	status, flags, source, affiliate, customer, params string
	amount                                             int64
}

func (w *conversionWorld) waitConversion(t *testing.T, externalID string) conversionRow {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var r conversionRow
		err := w.app.Store.DB().QueryRowContext(context.Background(), `SELECT status, array_to_string(flags, ','), source,
				affiliate_id, customer_id, custom_params::text, amount
			FROM conversions WHERE tenant_id = $1 AND origin = 'tracker' AND external_id = $2`, w.tenant.ID, externalID).Scan(
			&r.status, &r.flags, &r.source, &r.affiliate, &r.customer, &r.params, &r.amount)
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no conversion %s stored: %v", externalID, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// visit opens a fresh browser context; clicked, when not "", first lands
// on a page with ?aff=partner so that the cookie holds a click.
func (w *conversionWorld) visit(t *testing.T, chrome context.Context, clicked bool) context.Context {
	t.Helper()
	ctx := browser.NewIsolated(t, chrome)
	browser.ScreenshotOnFailure(t, ctx)
	console := browser.Console(t, ctx)
	t.Cleanup(func() {
		for _, e := range console.Exceptions() {
			t.Errorf("page exception: %s", e)
		}
	})
	if clicked {
		navigate(t, ctx, w.page("/landing", `trackdesk('TENANT_ID', 'click');`)+"?aff=partner")
		waitCookie(t, ctx)
	}
	return ctx
}

func TestConversionCommandAgainstTheServer(t *testing.T) {
	chrome := browser.New(t)
	w := newConversionWorld(t)
	browserFlag := "browser_reported"
	params := `{"advS1": "123", "advS3": "from-query"}`

	t.Run("conversion alone on the thank-you page", func(t *testing.T) {
		ctx := w.visit(t, chrome, true)
		navigate(t, ctx, w.page("/thank-you", `trackdesk("TENANT_ID", "conversion", `+example("eid-alone", "")+`);`)+"?advS3=from-query")
		r := w.waitConversion(t, "eid-alone")
		want := conversionRow{status: "pending", flags: browserFlag, source: "click_id", affiliate: w.affID, customer: "cid-11", params: params, amount: 450}
		if r != want {
			t.Errorf("stored %+v, want %+v", r, want)
		}
		if errs := pageErrors(t, ctx); len(errs) > 0 {
			t.Errorf("page errors: %v", errs)
		}
	})

	t.Run("in the click command's callback", func(t *testing.T) {
		ctx := w.visit(t, chrome, false)
		navigate(t, ctx, w.page("/click-callback", `trackdesk("TENANT_ID", "click", {}, () => {
            trackdesk("TENANT_ID", "conversion", `+example("eid-callback", "")+`, keep('conv'));
        });`)+"?aff=partner&advS3=from-query")
		got := result(t, ctx, "conv")
		if got["ok"] != true || got["conversionId"] == nil {
			t.Fatalf("callback got %v", got)
		}
		if r := w.waitConversion(t, "eid-callback"); r.source != "click_id" || r.affiliate != w.affID || r.params != params {
			t.Errorf("stored %+v", r)
		}
	})

	t.Run("with a coupon and no click", func(t *testing.T) {
		// A browser's coupon counts only with its own click of the coupon's
		// affiliate (SPEC section 14: otherwise anyone could probe coupons);
		// the call is answered as any other, and nothing is stored.
		ctx := w.visit(t, chrome, false)
		navigate(t, ctx, w.page("/coupon", `trackdesk("TENANT_ID", "conversion", `+example("eid-coupon", `couponCodes: ["MY_COUPON_CODE"],
            revenueOriginId: "00000000-0000-0000-0000-000000000000",
`)+`, keep('conv'));`))
		if got := result(t, ctx, "conv"); got["ok"] != true || got["conversionId"] == nil {
			t.Errorf("callback got %v, want {ok:true, conversionId}", got)
		}
		if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions WHERE external_id = 'eid-coupon'`); n != 0 {
			t.Errorf("%d conversions stored for a coupon without a click", n)
		}
	})

	t.Run("with externalCid linked to an earlier click", func(t *testing.T) {
		// The customer clicked and linked their email in another window of
		// the same browser (the server sees one visitor: the same address
		// and user agent), then bought without the cookie.
		first := w.visit(t, chrome, true)
		navigate(t, first, w.page("/link", `trackdesk('TENANT_ID', 'externalCid', {externalCid: 'MY_EXT_CID@example.com'}, keep('linked'));`))
		if got := result(t, first, "linked"); got["ok"] != true {
			t.Fatalf("externalCid: %v", got)
		}
		ctx := w.visit(t, chrome, false)
		navigate(t, ctx, w.page("/ext", `trackdesk("TENANT_ID", "conversion", `+example("eid-ext", `externalCid: "my_ext_cid@example.com",
`)+`);`))
		if r := w.waitConversion(t, "eid-ext"); r.source != "email" || r.affiliate != w.affID {
			t.Errorf("stored %+v, want attributed by the email link", r)
		}
	})

	t.Run("a status from the browser is ignored", func(t *testing.T) {
		ctx := w.visit(t, chrome, true)
		navigate(t, ctx, w.page("/status", `trackdesk("TENANT_ID", "conversion", `+example("eid-status", `status: "CONVERSION_STATUS_APPROVED",
`)+`, keep('conv'));`))
		if got := result(t, ctx, "conv"); got["ok"] != true {
			t.Fatalf("callback got %v", got)
		}
		if r := w.waitConversion(t, "eid-status"); r.status != "pending" || r.flags != browserFlag {
			t.Errorf("stored %+v, want pending and flagged", r)
		}
	})

	t.Run("queued before the script loads", func(t *testing.T) {
		ctx := w.visit(t, chrome, true)
		w.site.page("/late", fmt.Sprintf(`<script>
(function(t,d,k){(t[k]=t[k]||[]).push(d);t[d]=t[d]||t[k].f||function(){(t[d].q=t[d].q||[]).push(arguments)}})(window,"trackdesk","TrackdeskObject");
trackdesk(%q, "conversion", %s, keep('conv'));
setTimeout(function () { var s = document.createElement('script'); s.async = true; s.src = '%s/tracking.js'; document.head.appendChild(s); }, 300);
</script>`, w.tenant.ID, example("eid-late", ""), w.app.URL))
		navigate(t, ctx, w.site.URL+"/late?advS3=from-query&advS5=five")
		got := result(t, ctx, "conv")
		if got["ok"] != true || got["conversionId"] == nil {
			t.Fatalf("callback got %v", got)
		}
		if r := w.waitConversion(t, "eid-late"); r.params != `{"advS1": "123", "advS3": "from-query", "advS5": "five"}` {
			t.Errorf("stored params %s", r.params)
		}
	})

	t.Run("a repeat answers the same conversion; nothing attributes → an id all the same", func(t *testing.T) {
		ctx := w.visit(t, chrome, true)
		navigate(t, ctx, w.page("/repeat", `trackdesk("TENANT_ID", "conversion", `+example("eid-alone", "")+`, keep('again'));
trackdesk("TENANT_ID", "conversion", {conversionType: "nope"}, keep('bad'));
trackdesk("TENANT_ID", "conversion", keep('swapped'), {conversionType: "lead", externalId: "eid-swapped"});`))
		again := result(t, ctx, "again")
		if again["ok"] != true || again["conversionId"] == nil {
			t.Errorf("repeat: %v", again)
		}
		if bad := result(t, ctx, "bad"); bad["ok"] != false || bad["error"] != float64(422) {
			t.Errorf("unknown type: %v, want {ok:false, error:422}", bad)
		}
		if swapped := result(t, ctx, "swapped"); swapped["ok"] != true || swapped["conversionId"] == nil {
			t.Errorf("callback before the options: %v", swapped)
		}
		fresh := w.visit(t, chrome, false)
		navigate(t, fresh, w.page("/nothing", `trackdesk("TENANT_ID", "conversion", {conversionType: "lead"}, keep('none'));`))
		// The browser cannot tell that nothing was stored (SPEC section 14).
		if none := result(t, fresh, "none"); none["ok"] != true || none["conversionId"] == nil {
			t.Errorf("no attribution: %v, want {ok:true, conversionId:…}", none)
		}
		if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions WHERE conversion_type = 'lead' AND external_id = ''`); n != 0 {
			t.Errorf("%d unattributed leads stored", n)
		}
		if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions WHERE external_id = 'eid-alone'`); n != 1 {
			t.Errorf("%d conversions for a repeated externalId", n)
		}
	})
}
