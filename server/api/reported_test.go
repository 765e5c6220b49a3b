package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

func TestReportedConversionsInTheAPI(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "api-reported")
	auth := "Authorization: Bearer " + ten.Token
	s, data := a.Do(t, "POST", "/tracking/click/v1", fmt.Sprintf(`{"tenantId":%q,"aff":"api-reported","url":"https://shop.example/"}`, ten.ID))
	if s != 200 {
		t.Fatalf("click: %d %s", s, data)
	}
	cid := apptest.Decode[struct{ CID string }](t, data).CID

	// A type of the merchant's, over the API.
	s, data = a.Do(t, "PUT", "/api/v1/conversion-types/signup", `{"name":"Sign-up","commission_type":"fixed","commission_fixed":300}`, auth)
	if s != 200 || !strings.Contains(string(data), `"commission_fixed":300`) || !strings.Contains(string(data), `"currency":"usd"`) {
		t.Fatalf("save type: %d %s", s, data)
	}
	for _, bad := range []string{`{"commission_type":"percent","commission_percent":"101"}`, `{"commission_type":"bogus"}`, `{"commission_type":"fixed"}`} {
		if s, d := a.Do(t, "PUT", "/api/v1/conversion-types/signup", bad, auth); s != 400 {
			t.Errorf("%s: %d %s, want 400", bad, s, d)
		}
	}
	if s, d := a.Do(t, "PUT", "/api/v1/conversion-types/Not%20A%20Code", `{"commission_type":"tenant"}`, auth); s != 400 {
		t.Errorf("bad code: %d %s", s, d)
	}
	s, data = a.Do(t, "GET", "/api/v1/conversion-types", nil, auth)
	types := apptest.Decode[listAnswer](t, data)
	if s != 200 || len(types.Data) != 3 || types.Data[0]["code"] != "sale" || types.Data[0]["commission_type"] != "tenant" ||
		types.Data[1]["code"] != "lead" || types.Data[1]["commission_fixed"] != float64(0) || types.Data[2]["code"] != "signup" {
		t.Errorf("types: %d %s", s, data)
	}

	s, data = a.Do(t, "POST", "/tracking/conversion/v1", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"signup",
		"externalId":"u-1","customerId":"cus-1","customParams":{"advS1":"x"}}`, ten.ID, cid), auth)
	if s != 200 {
		t.Fatalf("report: %d %s", s, data)
	}
	s, data = a.Do(t, "GET", "/api/v1/conversions?origin=tracker&conversion_type=signup", nil, auth)
	list := apptest.Decode[listAnswer](t, data)
	if s != 200 || len(list.Data) != 1 {
		t.Fatalf("filtered list: %d %s", s, data)
	}
	c := list.Data[0]
	for k, want := range map[string]any{"origin": "tracker", "conversion_type": "signup", "external_id": "u-1", "customer_id": "cus-1",
		"source": "click_id", "commission": float64(300), "amount": float64(0), "status": "pending", "stripe_customer": nil, "stripe_account": nil} {
		if c[k] != want {
			t.Errorf("%s = %#v, want %#v", k, c[k], want)
		}
	}
	if p, _ := c["custom_params"].(map[string]any); p["advS1"] != "x" {
		t.Errorf("custom_params %v", c["custom_params"])
	}
	for _, q := range []string{"origin=stripe", "conversion_type=lead"} {
		_, data = a.Do(t, "GET", "/api/v1/conversions?"+q, nil, auth)
		if l := apptest.Decode[listAnswer](t, data); len(l.Data) != 0 {
			t.Errorf("%s: %d conversions, want 0", q, len(l.Data))
		}
	}
	for _, q := range []string{"origin=paypal", "conversion_type=NO%20PE"} {
		if s, d := a.Do(t, "GET", "/api/v1/conversions?"+q, nil, auth); s != 400 {
			t.Errorf("%s: %d %s, want 400", q, s, d)
		}
	}
	if s, d := a.Do(t, "DELETE", "/api/v1/conversion-types/signup", nil, auth); s != 204 {
		t.Errorf("delete: %d %s", s, d)
	}
	if s, d := a.Do(t, "DELETE", "/api/v1/conversion-types/signup", nil, auth); s != 404 {
		t.Errorf("delete again: %d %s", s, d)
	}
}
