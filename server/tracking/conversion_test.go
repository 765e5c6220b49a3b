package tracking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// opaqueID is the form of every conversion id, stored or not.
var opaqueID = regexp.MustCompile(`^cv_[a-z0-9]{16}$`)

type conversionAnswer struct {
	OK           bool    `json:"ok"`
	ConversionID *string `json:"conversionId"`
}

// report posts a conversion as the tracker does (text/plain), or with the
// tenant's token when token is not "".
func report(t testing.TB, a *apptest.App, token, body string) (int, conversionAnswer, string) {
	t.Helper()
	headers := []string{"Content-Type: text/plain;charset=UTF-8"}
	if token != "" {
		headers = append(headers, "Authorization: Bearer "+token)
	}
	status, data := a.Do(t, "POST", "/tracking/conversion/v1", body, headers...)
	var ans conversionAnswer
	if status == http.StatusOK {
		ans = apptest.Decode[conversionAnswer](t, data)
	}
	return status, ans, string(data)
}

type reportedRow struct {
	status, flags, source, typ, extID, custID, params, affiliate, click, manual string
	amount, commission                                                          int64
}

func reportedConversion(t *testing.T, a *apptest.App, id string) reportedRow {
	t.Helper()
	var r reportedRow
	err := a.Store.DB().QueryRowContext(context.Background(), `SELECT status, array_to_string(flags, ','), source,
		conversion_type, external_id, customer_id, custom_params::text, affiliate_id, click_id, manual_status, amount, commission
		FROM conversions WHERE id = $1 AND origin = 'tracker' AND stripe_account = '' AND source_id = 'tracker:' || id`, id).Scan(
		&r.status, &r.flags, &r.source, &r.typ, &r.extID, &r.custID, &r.params, &r.affiliate, &r.click, &r.manual, &r.amount, &r.commission)
	if err != nil {
		t.Fatalf("conversion %s: %v", id, err)
	}
	return r
}

// noHold sets the tenant's hold period to 0 days, so that what the hold
// period approves is approved at once.
func noHold(t *testing.T, a *apptest.App, tenantID string) {
	t.Helper()
	zero := 0
	if _, err := a.Accounts.UpdateSettings(context.Background(), tenantID, account.SettingsInput{HoldDays: &zero}); err != nil {
		t.Fatal(err)
	}
}

func TestReportedConversionFromTheBrowserIsPendingAndFlagged(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	aff := a.NewAffiliate(t, ten.ID, "seller")
	noHold(t, a, ten.ID)
	_, c := click(t, a, ten.ID, "seller", "Mozilla/5.0 Conv")

	status, ans, data := report(t, a, "", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"4.50"},
		"externalId":"order-1","customerId":"cus-9","status":"CONVERSION_STATUS_APPROVED",
		"customParams":{"advS1":"123","advS3":"from-query","advS4":7}}`, ten.ID, c.CID))
	if status != 200 || !ans.OK || ans.ConversionID == nil {
		t.Fatalf("report: %d %s", status, data)
	}
	r := reportedConversion(t, a, *ans.ConversionID)
	want := reportedRow{status: "pending", flags: "browser_reported", source: "click_id", typ: "sale", extID: "order-1", custID: "cus-9",
		affiliate: aff.ID, click: c.CID, amount: 450, commission: 90, params: `{"advS1": "123", "advS3": "from-query", "advS4": "7"}`}
	if r != want {
		t.Errorf("stored %+v,\nwant     %+v (the browser's status must be ignored)", r, want)
	}

	// The hold period (0 days here) alone never approves it; the
	// merchant's decision does.
	if _, err := a.Store.ApproveDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := reportedConversion(t, a, *ans.ConversionID); r.status != "pending" {
		t.Fatalf("browser-reported conversion %s after the hold period, want pending", r.status)
	}
	got, err := a.Store.SetConversionManualStatus(context.Background(), ten.ID, *ans.ConversionID, conversion.ManualApproved)
	if err != nil || got.Status != conversion.Approved {
		t.Fatalf("merchant approval: %v %v", got.Status, err)
	}
	if len(got.History) != 2 || got.Origin != "tracker" || got.CustomParams["advS1"] != "123" {
		t.Errorf("approved conversion: %+v", got)
	}
	// Overview rollups count it with Stripe's, per currency.
	if n := a.QueryInt(t, `SELECT coalesce(sum(amount), 0)::int FROM tenant_conversion_days WHERE tenant_id = $1 AND currency = 'usd' AND status = 'approved'`, ten.ID); n != 450 {
		t.Errorf("rollup amount %d, want 450", n)
	}
}

func TestReportedConversionWithTheTokenIsTrusted(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	a.NewAffiliate(t, ten.ID, "trusted")
	_, c := click(t, a, ten.ID, "trusted", "Mozilla/5.0 Trust")
	body := func(ext, status string) string {
		return fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"100"},"externalId":%q,"status":%q}`,
			ten.ID, c.CID, ext, status)
	}
	for _, tc := range []struct{ ext, status, want, manual string }{
		{"a", "CONVERSION_STATUS_APPROVED", "approved", "approved"},
		{"r", "CONVERSION_STATUS_REJECTED", "rejected", "rejected"},
		{"p", "CONVERSION_STATUS_PENDING", "pending", ""},
		{"none", "", "pending", ""},
	} {
		status, ans, data := report(t, a, ten.Token, body(tc.ext, tc.status))
		if status != 200 || ans.ConversionID == nil {
			t.Fatalf("%s: %d %s", tc.ext, status, data)
		}
		r := reportedConversion(t, a, *ans.ConversionID)
		if r.status != tc.want || r.manual != tc.manual || r.flags != "" || r.commission != 2000 {
			t.Errorf("%s: %+v, want status %s, no flags, commission 2000", tc.ext, r, tc.want)
		}
	}
	// A trusted pending one follows the hold period.
	noHold(t, a, ten.ID)
	if _, err := a.Store.ApproveDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM conversions WHERE tenant_id = $1 AND status = 'approved'`, ten.ID); n != 3 {
		t.Errorf("%d approved after the hold period, want 3 (approved, pending, none)", n)
	}
	// Another tenant's token is refused, not ignored; a bad status too.
	if s, _, d := report(t, a, other.Token, body("x", "")); s != 401 {
		t.Errorf("another tenant's token: %d %s", s, d)
	}
	if s, _, d := report(t, a, ten.Token, body("y", "APPROVED")); s != 422 {
		t.Errorf("unknown status: %d %s", s, d)
	}
}

func TestReportedConversionIsDeduplicated(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "dedup")
	_, c := click(t, a, ten.ID, "dedup", "Mozilla/5.0 Dedup")
	send := func(typ, ext string) string {
		extField := ""
		if ext != "" {
			extField = fmt.Sprintf(`,"externalId":%q`, ext)
		}
		s, ans, d := report(t, a, "", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":%q%s}`, ten.ID, c.CID, typ, extField))
		if s != 200 || ans.ConversionID == nil {
			t.Errorf("report %s/%s: %d %s", typ, ext, s, d)
			return ""
		}
		return *ans.ConversionID
	}
	first := send("sale", "order-7")
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); ids[i] = send("sale", "order-7") }()
	}
	wg.Wait()
	for _, id := range ids {
		if id != first {
			t.Errorf("repeat answered %s, want %s", id, first)
		}
	}
	if lead := send("lead", "order-7"); lead == first {
		t.Errorf("another type with the same externalId is the same conversion")
	}
	if x, y := send("sale", ""), send("sale", ""); x == y {
		t.Errorf("without externalId two reports are one conversion")
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM conversions WHERE tenant_id = $1`, ten.ID); n != 4 {
		t.Errorf("%d conversions, want 4", n)
	}
}

func TestReportedConversionTypesAndCaps(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "typer")
	_, c := click(t, a, ten.ID, "typer", "Mozilla/5.0 Types")
	ctx := context.Background()
	send := func(typ, amount string) (int, int64, string) {
		t.Helper()
		s, ans, d := report(t, a, "", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":%q,"amount":%s}`, ten.ID, c.CID, typ, amount))
		if s != 200 {
			return s, 0, d
		}
		return s, reportedConversion(t, a, *ans.ConversionID).commission, d
	}
	// lead: fixed 0 until set; sale: the tenant's 20%.
	if s, comm, d := send("lead", "null"); s != 200 || comm != 0 {
		t.Errorf("default lead: %d commission %d %s", s, comm, d)
	}
	if s, comm, d := send("sale", `{"value":"10.00"}`); s != 200 || comm != 200 {
		t.Errorf("default sale: %d commission %d %s", s, comm, d)
	}
	for _, spec := range []string{"lead:fixed:250", "sale:percent:5", "signup:fixed:100"} {
		in, err := account.ParseConversionTypeSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Accounts.SetConversionType(ctx, ten.ID, in); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
	}
	if s, comm, d := send("lead", "null"); s != 200 || comm != 250 {
		t.Errorf("lead fixed 250: %d commission %d %s", s, comm, d)
	}
	if s, comm, d := send("sale", `{"value":"10.00"}`); s != 200 || comm != 50 {
		t.Errorf("sale 5%%: %d commission %d %s", s, comm, d)
	}
	if s, comm, d := send("signup", `{"value":4.5}`); s != 200 || comm != 100 {
		t.Errorf("signup fixed 100: %d commission %d %s", s, comm, d)
	}
	// The cap: 10,000.00 by default, then the tenant's.
	if s, _, d := send("sale", `{"value":"10000.00"}`); s != 200 {
		t.Errorf("at the cap: %d %s", s, d)
	}
	if s, _, d := send("sale", `{"value":"10000.01"}`); s != 422 || !strings.Contains(d, "maximum") {
		t.Errorf("over the default cap: %d %s", s, d)
	}
	if err := a.Accounts.SetMaxConversionAmount(ctx, ten.ID, 5000); err != nil {
		t.Fatal(err)
	}
	if s, _, d := send("sale", `{"value":"50.01"}`); s != 422 {
		t.Errorf("over a cap of 50.00: %d %s", s, d)
	}
	// The cap is counted in minor units of the reported currency: 5000
	// is ¥5,000 and 5.000 KWD (not ¥50 and 50 KWD, 100 times apart in
	// value from each other).
	inCurrency := func(cur, value string) (int, string) {
		t.Helper()
		s, _, d := report(t, a, "", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","currency":%q,"amount":{"value":%q}}`,
			ten.ID, c.CID, cur, value))
		return s, d
	}
	for _, tc := range []struct {
		cur, value string
		want       int
	}{
		{"jpy", "4000", 200}, {"JPY", "5000", 200}, {"jpy", "5001", 422},
		{"kwd", "5.000", 200}, {"kwd", "5.001", 422}, {"kwd", "40.000", 422},
		{"eur", "50.00", 200}, {"eur", "50.01", 422},
	} {
		if s, d := inCurrency(tc.cur, tc.value); s != tc.want {
			t.Errorf("%s %s against a cap of 5000 minor units: %d %s, want %d", tc.value, tc.cur, s, d, tc.want)
		} else if s == 422 && !strings.Contains(d, "maximum") {
			t.Errorf("%s %s: %s", tc.value, tc.cur, d)
		}
	}
	// A currency is one of ISO 4217's, not any three letters.
	for _, cur := range []string{"abc", "xyz", "usx", "xau", "xxx", "us", "usdd"} {
		if s, d := inCurrency(cur, "1.00"); s != 422 || !strings.Contains(d, "ISO 4217") {
			t.Errorf("currency %q: %d %s, want 422 naming ISO 4217", cur, s, d)
		}
	}
	before := a.QueryInt(t, `SELECT count(*) FROM conversions`)
	for _, tc := range []struct{ typ, amount string }{
		{"unknown", "null"}, {"sale", `{"value":"4,50"}`}, {"sale", `{"value":"-1"}`}, {"sale", `{"value":"4.505"}`},
		{"sale", `{"value":"abc"}`}, {"sale", `{"value":true}`}, {"sale", `[1]`}, {"SALE!", "null"},
	} {
		if s, _, d := send(tc.typ, tc.amount); s != 422 || !strings.Contains(d, `"message"`) {
			t.Errorf("%s %s: %d %s, want 422 with a message", tc.typ, tc.amount, s, d)
		}
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM conversions`); n != before {
		t.Errorf("refused reports stored %d conversions", n-before)
	}
}

func TestReportedConversionAttribution(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ctx := context.Background()
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	byClick := a.NewAffiliate(t, ten.ID, "by-click")
	byEmail := a.NewAffiliate(t, ten.ID, "by-email")
	byCoupon := a.NewAffiliate(t, ten.ID, "by-coupon")
	a.NewAffiliate(t, other.ID, "theirs")
	if _, err := a.Accounts.SetCoupons(ctx, ten.ID, byCoupon.ID, []string{"SPRING"}); err != nil {
		t.Fatal(err)
	}
	_, c1 := click(t, a, ten.ID, "by-click", "Mozilla/5.0 A")
	_, c2 := click(t, a, ten.ID, "by-email", "Mozilla/5.0 B")
	_, theirs := click(t, a, other.ID, "theirs", "Mozilla/5.0 C")
	if s, d := a.Do(t, "POST", "/tracking/external-cid/v1", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"ann@example.com"}`, ten.ID, c2.CID)); s != 200 {
		t.Fatalf("link: %d %s", s, d)
	}
	// The email link above and the reports below come from one browser (the
	// same address and user agent), so a browser's report may use it; a
	// coupon needs the merchant's server (or the browser's own click of the
	// coupon's affiliate).
	for _, tc := range []struct {
		name, fields, token, affiliate, source string
	}{
		{"click first", fmt.Sprintf(`"cid":%q,"externalCid":"Ann@Example.com","couponCodes":["spring"]`, c1.CID), "", byClick.ID, "click_id"},
		{"then the email link", `"externalCid":" ann@example.com ","couponCodes":["SPRING"]`, "", byEmail.ID, "email"},
		{"another tenant's click is no click", fmt.Sprintf(`"cid":%q,"externalCid":"ann@example.com"`, theirs.CID), "", byEmail.ID, "email"},
		{"then a coupon", `"couponCodes":["nope","Spring"]`, ten.Token, byCoupon.ID, "coupon"},
		{"a coupon as a string", `"couponCodes":"spring"`, ten.Token, byCoupon.ID, "coupon"},
		{"a coupon from a browser without a click", `"couponCodes":["spring"]`, "", "", ""},
		{"nothing", `"externalCid":"bob@example.com","couponCodes":["nope"]`, "", "", ""},
		{"a stale cookie", `"cid":"not-a-click"`, "", "", ""},
	} {
		before := a.QueryInt(t, `SELECT count(*) FROM conversions`)
		s, ans, d := report(t, a, tc.token, fmt.Sprintf(`{"tenantId":%q,"conversionType":"lead",%s}`, ten.ID, tc.fields))
		if s != 200 || !ans.OK {
			t.Fatalf("%s: %d %s", tc.name, s, d)
		}
		if tc.affiliate == "" {
			// A browser is answered an id all the same (SPEC section 14).
			if ans.ConversionID == nil || !opaqueID.MatchString(*ans.ConversionID) {
				t.Errorf("%s: %s, want an id like cv_…", tc.name, d)
			}
			if n := a.QueryInt(t, `SELECT count(*) FROM conversions`); n != before {
				t.Errorf("%s: %d conversions stored, want none", tc.name, n-before)
			}
			continue
		}
		if ans.ConversionID == nil {
			t.Fatalf("%s: no conversion", tc.name)
		}
		if r := reportedConversion(t, a, *ans.ConversionID); r.affiliate != tc.affiliate || r.source != tc.source {
			t.Errorf("%s: affiliate %s by %s, want %s by %s", tc.name, r.affiliate, r.source, tc.affiliate, tc.source)
		}
	}
	// A suspended affiliate earns nothing: the next candidate wins.
	if _, err := a.Store.DB().ExecContext(ctx, `UPDATE affiliates SET status = 'suspended' WHERE id = $1`, byClick.ID); err != nil {
		t.Fatal(err)
	}
	_, ans, _ := report(t, a, ten.Token, fmt.Sprintf(`{"tenantId":%q,"conversionType":"lead","cid":%q,"couponCodes":["spring"]}`, ten.ID, c1.CID))
	if ans.ConversionID == nil || reportedConversion(t, a, *ans.ConversionID).affiliate != byCoupon.ID {
		t.Errorf("a suspended affiliate's click still attributes")
	}
	// Self-referral: the customer is the affiliate.
	_, ans, _ = report(t, a, ten.Token, fmt.Sprintf(`{"tenantId":%q,"conversionType":"lead","couponCodes":["spring"],"externalCid":%q}`, ten.ID, byCoupon.Email))
	if ans.ConversionID == nil || reportedConversion(t, a, *ans.ConversionID).status != "rejected" {
		t.Errorf("self-referral not rejected")
	}
}

func TestReportedConversionRefusals(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	a.NewAffiliate(t, ten.ID, "refuse")
	_, c := click(t, a, ten.ID, "refuse", "Mozilla/5.0 R")
	base := fmt.Sprintf(`"tenantId":%q,"cid":%q`, ten.ID, c.CID)
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"unknown tenant", fmt.Sprintf(`{"tenantId":"tn_nobody","cid":%q,"conversionType":"sale"}`, c.CID), 404},
		{"no type", `{` + base + `}`, 400},
		{"no tenant", `{"conversionType":"sale"}`, 400},
		{"malformed", `{"tenantId":`, 400},
		{"wrong type", `{"tenantId":5}`, 400},
		{"bad currency", `{` + base + `,"conversionType":"sale","currency":"dollars"}`, 422},
		{"another tenant's origin", `{` + base + fmt.Sprintf(`,"conversionType":"sale","revenueOriginId":%q}`, other.OriginID), 422},
		{"long externalId", `{` + base + `,"conversionType":"sale","externalId":"` + strings.Repeat("x", 201) + `"}`, 422},
		{"object externalId", `{` + base + `,"conversionType":"sale","externalId":{}}`, 422},
		{"bad param name", `{` + base + `,"conversionType":"sale","customParams":{"a b":"x"}}`, 422},
		{"list param", `{` + base + `,"conversionType":"sale","customParams":{"advS1":[1]}}`, 422},
		{"oversized", `{` + base + `,"conversionType":"sale","customerId":"` + strings.Repeat("x", 20000) + `"}`, 413},
	} {
		if s, _, d := report(t, a, "", tc.body); s != tc.want || !strings.Contains(d, `"message"`) {
			t.Errorf("%s: %d %s, want %d with a message", tc.name, s, d, tc.want)
		}
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM conversions`); n != 0 {
		t.Errorf("%d conversions stored by refused requests", n)
	}
	// CORS as the other tracker endpoints: open, and no preflight needed.
	status, _ := a.Do(t, "OPTIONS", "/tracking/conversion/v1", nil, "Origin: https://shop.example", "Access-Control-Request-Method: POST")
	if status != 204 {
		t.Errorf("preflight: %d", status)
	}
}

// FuzzConversionEndpoint sends arbitrary bodies to the real endpoint (a
// tenant with an affiliate and a click behind it): it must never answer
// 5xx, and every refusal carries a message.
func FuzzConversionEndpoint(f *testing.F) {
	a := apptest.New(f, nil)
	ten := a.NewTenant(f, "Shop")
	a.NewAffiliate(f, ten.ID, "fuzz")
	status, data := a.Do(f, "POST", "/tracking/click/v1", fmt.Sprintf(`{"tenantId":%q,"aff":"fuzz","url":"https://shop.example/"}`, ten.ID))
	if status != 200 {
		f.Fatalf("click: %d %s", status, data)
	}
	cid := apptest.Decode[clickAnswer](f, data).CID
	for _, seed := range []string{
		fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"4.50"},"externalId":"o1","customerId":"c1","couponCodes":["x"],"customParams":{"advS1":"1"}}`, ten.ID, cid),
		fmt.Sprintf(`{"tenantId":%q,"conversionType":"lead","amount":1e400,"externalId":1e999,"currency":"jpy"}`, ten.ID),
		fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"99999999999999999999.99"}}`, ten.ID, cid),
		fmt.Sprintf(`{"tenantId":%q,"conversionType":"sale","externalCid":"\u0000","revenueOriginId":"\ud800","couponCodes":[null,5]}`, ten.ID),
		fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":"1e20","customParams":{"advS1":{"queryParam":"x"},"advS2":1e308}}`, ten.ID, cid),
		`{"tenantId":5}`, `[]`, `null`, ``, `{"amount":{"value":{}}}`, "{\"tenantId\":\"\xff\",\"conversionType\":\"sale\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		status, data := a.Do(t, "POST", "/tracking/conversion/v1", body, "Content-Type: text/plain")
		if status >= 500 {
			t.Fatalf("%q → %d %s", body, status, data)
		}
		if status >= 400 {
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
				t.Fatalf("%q → %d without a message: %s", body, status, data)
			}
		}
	})
}

// The tracker endpoints' per-address limit applies to reported
// conversions too: a script cannot flood them.
func TestReportedConversionIsRateLimited(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRACKING_RATE_LIMIT": "20"})
	ten := a.NewTenant(t, "Shop")
	codes := map[int]int{}
	for i := 0; i < 200; i++ {
		s, _, _ := report(t, a, "", fmt.Sprintf(`{"tenantId":%q,"conversionType":"lead","externalId":"x%d"}`, ten.ID, i))
		codes[s]++
	}
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusOK] > 150 {
		t.Errorf("200 rapid reports from one address: %v; want most refused with 429", codes)
	}
}

// A reported conversion is paid out like Stripe's, and a rejection after
// its payout was paid records the clawback.
func TestReportedConversionPayoutAndClawback(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ctx := context.Background()
	ten := a.NewTenant(t, "Shop")
	aff := a.NewAffiliate(t, ten.ID, "payee")
	_, c := click(t, a, ten.ID, "payee", "Mozilla/5.0 Payout")
	s, ans, d := report(t, a, ten.Token, fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"100"},
		"externalId":"paid-1","status":"CONVERSION_STATUS_APPROVED"}`, ten.ID, c.CID))
	if s != 200 || ans.ConversionID == nil {
		t.Fatalf("report: %d %s", s, d)
	}
	payouts, err := a.Accounts.CreatePayouts(ctx, ten.ID, aff.ID)
	if err != nil || len(payouts) != 1 || payouts[0].Amount != 2000 {
		t.Fatalf("payouts %+v %v, want one of 2000", payouts, err)
	}
	if _, err := a.Accounts.MarkPayoutPaid(ctx, ten.ID, payouts[0].ID, "ref-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.SetConversionManualStatus(ctx, ten.ID, *ans.ConversionID, conversion.ManualRejected); err != nil {
		t.Fatal(err)
	}
	if n := a.QueryInt(t, `SELECT coalesce(sum(amount), 0)::int FROM payout_debts WHERE conversion_id = $1`, *ans.ConversionID); n != -2000 {
		t.Errorf("clawback %d, want -2000", n)
	}
}
