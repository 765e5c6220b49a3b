package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// A conversion the site reported shows its origin, type, ids and custom
// params in the list, the detail page and the CSV, and the filters find it.
func TestReportedConversionPages(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tid := b.signup("Reported Shop", "owner@reported.example")
	if _, err := app.Accounts.CreateAffiliate(context.Background(), tid, account.AffiliateInput{Name: "Rita", Email: "rita@partners.example", Code: "rita"}); err != nil {
		t.Fatal(err)
	}
	cid := clickAndLink(t, app, tid, "rita", "")
	status, body := app.Do(t, "POST", "/tracking/conversion/v1", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale",
		"amount":{"value":"12.50"},"externalId":"ord-42","customerId":"cust-7","customParams":{"advS1":"spring","advS2":"<b>x</b>"}}`, tid, cid))
	if status != http.StatusOK {
		t.Fatalf("report: %d %s", status, body)
	}
	id := *apptest.Decode[struct{ ConversionID *string }](t, body).ConversionID

	b.get("/conversions").must(t, 200, "Site · sale", "ord-42", "cust-7", "advS1=spring · advS2=&lt;b&gt;x&lt;/b&gt;", `name="origin"`, `name="type"`, `<option value="lead">Lead</option>`)
	b.get("/conversions?origin=tracker&type=sale").must(t, 200, "ord-42")
	if a := b.get("/conversions?origin=stripe"); strings.Contains(a.body, "ord-42") {
		t.Errorf("origin=stripe lists a site conversion")
	}
	if a := b.get("/conversions?type=lead"); strings.Contains(a.body, "ord-42") {
		t.Errorf("type=lead lists a sale")
	}
	b.get("/conversions?origin=paypal").must(t, 400)
	detail := b.get("/conversions/" + id)
	detail.must(t, 200, "Site", "ord-42", "cust-7", "advS1", "spring", "&lt;b&gt;x&lt;/b&gt;", "browser_reported", "from cust-7", "Reported ")
	// Stripe's words are not a reported conversion's: no payment, no mode.
	for _, stripeOnly := range []string{"Paid ", "<dt>Mode</dt>", "Stripe account"} {
		if strings.Contains(detail.body, stripeOnly) {
			t.Errorf("the reported conversion's page says %q", stripeOnly)
		}
	}
	csv := b.get("/conversions.csv?origin=tracker")
	csv.must(t, 200, ",origin,conversion_type,external_id,customer_id,custom_params", ",tracker,sale,ord-42,cust-7,")
	if !strings.Contains(csv.body, `""advS1"":""spring""`) {
		t.Errorf("CSV lacks the custom params: %s", csv.body)
	}
	// The Overview counts it with Stripe's, in its currency.
	b.get("/").must(t, 200, "$12.50")
	// The merchant approves it from the detail page.
	b.post("/conversions/"+id+"/approve", nil).must(t, http.StatusSeeOther)
	b.get("/conversions/"+id).must(t, 200, "Approved")
}

func TestConversionTypesSettings(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tid := b.signup("Types Shop", "owner@types.example")
	b.get("/settings").must(t, 200, `href="/settings/conversion-types"`)
	b.get("/settings/conversion-types").must(t, 200, "sale", "lead", "the tenant&#39;s commission rule", "$0.00 per conversion", `value="10000.00"`)

	b.post("/settings/conversion-types", url.Values{"code": {"signup"}, "name": {"Sign-up"}, "rule": {"fixed"}, "value": {"2.50"}}).must(t, http.StatusSeeOther)
	b.post("/settings/conversion-types", url.Values{"code": {"lead"}, "rule": {"percent"}, "value": {"10"}}).must(t, http.StatusSeeOther)
	b.get("/settings/conversion-types").must(t, 200, "Sign-up", "$2.50 per conversion", "10% of the amount")
	b.post("/settings/conversion-types", url.Values{"code": {"Bad Code"}, "rule": {"fixed"}, "value": {"1"}}).must(t, 400, "code")
	b.post("/settings/conversion-types", url.Values{"code": {"x"}, "rule": {"percent"}, "value": {"250"}}).must(t, 400)
	b.post("/settings/conversion-types", url.Values{"code": {"x"}, "rule": {"fixed"}, "value": {"1"}, "csrf": {"forged"}}).must(t, 403)

	b.post("/settings/max-conversion-amount", url.Values{"max": {"250.00"}}).must(t, http.StatusSeeOther)
	if n, err := app.Store.MaxConversionAmount(context.Background(), tid); err != nil || n != 25000 {
		t.Errorf("max %d %v, want 25000", n, err)
	}
	b.post("/settings/max-conversion-amount", url.Values{"max": {"-3"}}).must(t, 400, `value="-3"`)

	b.post("/settings/conversion-types/signup/delete", nil).must(t, http.StatusSeeOther)
	b.post("/settings/conversion-types/lead/delete", nil).must(t, http.StatusSeeOther)
	if a := b.get("/settings/conversion-types"); strings.Contains(a.body, "<td>Sign-up</td>") || !strings.Contains(a.body, "$0.00 per conversion") {
		t.Errorf("after delete/reset: %s", short(a.body))
	}
	b.post("/settings/conversion-types/signup/delete", nil).must(t, 404)
}
