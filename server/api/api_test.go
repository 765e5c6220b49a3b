package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

type listAnswer struct {
	Data       []map[string]any `json:"data"`
	NextCursor *string          `json:"next_cursor"`
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	for _, tc := range []struct {
		name    string
		headers []string
		want    int
	}{
		{"no token", nil, 401},
		{"wrong token", []string{"Authorization: Bearer tl_pt_wrong"}, 401},
		{"basic scheme", []string{"Authorization: Basic " + ten.Token}, 401},
		{"bearer", []string{"Authorization: Bearer " + ten.Token}, 200},
		{"x-api-key", []string{"X-Api-Key: " + ten.Token}, 200},
	} {
		status, data := a.Do(t, "GET", "/api/v1/affiliates", nil, tc.headers...)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, data, tc.want)
		}
		if status == 401 && !strings.Contains(string(data), `{"error":{"message":`) {
			t.Errorf("%s: error shape %s", tc.name, data)
		}
	}
	// A revoked token stops working.
	tok, err := a.Accounts.CreateToken(context.Background(), ten.ID, "temp")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := a.Do(t, "GET", "/api/v1/clicks", nil, "Authorization: Bearer "+tok); s != 200 {
		t.Fatalf("new token: %d", s)
	}
	tokens, _ := a.Store.PersonalTokens(context.Background(), ten.ID)
	for _, pt := range tokens {
		if pt.Name == "temp" {
			if err := a.Store.RevokePersonalToken(context.Background(), ten.ID, pt.ID); err != nil {
				t.Fatal(err)
			}
			if pt.Hint != "…"+tok[len(tok)-4:] {
				t.Errorf("hint %q", pt.Hint)
			}
		}
	}
	if s, _ := a.Do(t, "GET", "/api/v1/clicks", nil, "Authorization: Bearer "+tok); s != 401 {
		t.Errorf("revoked token: %d, want 401", s)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM personal_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0`, tok); n != 0 {
		t.Errorf("a token is stored in the clear")
	}
}

func TestClickListPaginationAndScope(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	aff := a.NewAffiliate(t, ten.ID, "pager")
	a.NewAffiliate(t, ten.ID, "second")
	theirs := a.NewAffiliate(t, other.ID, "theirs")
	for i := 0; i < 5; i++ {
		body := fmt.Sprintf(`{"tenantId":%q,"aff":"pager","url":"https://shop.example/%d"}`, ten.ID, i)
		if s, d := a.Do(t, "POST", "/tracking/click/v1", body, fmt.Sprintf("User-Agent: Mozilla/5.0 v%d", i)); s != 200 {
			t.Fatalf("click: %d %s", s, d)
		}
	}
	body := fmt.Sprintf(`{"tenantId":%q,"aff":"second","url":"https://shop.example/x"}`, ten.ID)
	a.Do(t, "POST", "/tracking/click/v1", body)
	body = fmt.Sprintf(`{"tenantId":%q,"aff":"theirs","url":"https://shop.example/x"}`, other.ID)
	a.Do(t, "POST", "/tracking/click/v1", body)

	auth := "Authorization: Bearer " + ten.Token
	seen := map[string]bool{}
	path := "/api/v1/clicks?limit=2&affiliate_id=" + aff.ID
	for pages := 0; ; pages++ {
		status, data := a.Do(t, "GET", path, nil, auth)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, data)
		}
		l := apptest.Decode[listAnswer](t, data)
		for _, c := range l.Data {
			if seen[c["id"].(string)] {
				t.Fatalf("click %s on two pages", c["id"])
			}
			seen[c["id"].(string)] = true
			if c["affiliate_id"] != aff.ID {
				t.Fatalf("filter ignored: %v", c)
			}
			if _, ok := c["external_cid"]; !ok {
				t.Fatalf("external_cid missing: %v", c)
			}
		}
		if l.NextCursor == nil {
			break
		}
		path = "/api/v1/clicks?limit=2&affiliate_id=" + aff.ID + "&cursor=" + *l.NextCursor
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 5 {
		t.Errorf("paged through %d clicks, want 5", len(seen))
	}
	status, data := a.Do(t, "GET", "/api/v1/clicks", nil, auth)
	if l := apptest.Decode[listAnswer](t, data); status != 200 || len(l.Data) != 6 {
		t.Errorf("all clicks: %d, %d rows, want 6 (none of the other tenant's)", status, len(l.Data))
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/api/v1/clicks?limit=0", 400},
		{"/api/v1/clicks?limit=201", 400},
		{"/api/v1/clicks?limit=abc", 400},
		{"/api/v1/clicks?cursor=!!!", 400},
		{"/api/v1/clicks?cursor=bm90LWEtY3Vyc29y", 400},
		{"/api/v1/clicks?affiliate_id=" + theirs.ID, 404},
		{"/api/v1/clicks?limit=200", 200},
	} {
		if s, d := a.Do(t, "GET", tc.path, nil, auth); s != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, s, d, tc.want)
		}
	}
}

func TestAffiliateCreateAndList(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	auth := "Authorization: Bearer " + ten.Token

	status, data := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Ann <b>","email":" Ann@Example.COM ","code":"Ann-2024","landing_url":"https://shop.example/ann"}`, auth)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, data)
	}
	got := apptest.Decode[map[string]any](t, data)
	if got["code"] != "ann-2024" || got["email"] != "ann@example.com" || got["link"] != a.URL+"/r/ann-2024" || got["name"] != "Ann <b>" {
		t.Errorf("created %v", got)
	}
	status, data = a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Gen","email":"gen@example.com"}`, auth)
	if gen := apptest.Decode[map[string]any](t, data); status != 201 || len(gen["code"].(string)) < 2 {
		t.Errorf("generated code: %d %s", status, data)
	}
	// Codes are unique across the instance, case-folded.
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Copy","email":"c@example.com","code":"ANN-2024"}`, "Authorization: Bearer "+other.Token); s != 409 {
		t.Errorf("taken code: %d %s, want 409", s, d)
	}
	// One affiliate per email in a tenant (compared case-folded); another
	// tenant may have it too.
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Ann again","email":"ANN@example.com "}`, auth); s != 409 || !strings.Contains(string(d), "already exists") {
		t.Errorf("taken email: %d %s, want 409", s, d)
	}
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Ann","email":"ann@example.com"}`, "Authorization: Bearer "+other.Token); s != 201 {
		t.Errorf("the same email in another tenant: %d %s, want 201", s, d)
	}
	for _, body := range []string{
		`{"email":"x@example.com"}`,
		`{"name":"X","email":"not-an-email"}`,
		`{"name":"X","email":"x@example.com","code":"a"}`,
		`{"name":"X","email":"x@example.com","code":"bad code!"}`,
		`{"name":"X","email":"x@example.com","landing_url":"ftp://nope"}`,
		`{"name":`,
		`[]`,
	} {
		if s, d := a.Do(t, "POST", "/api/v1/affiliates", body, auth); s != 400 {
			t.Errorf("%s: %d %s, want 400", body, s, d)
		}
	}
	status, data = a.Do(t, "GET", "/api/v1/affiliates", nil, auth)
	l := apptest.Decode[listAnswer](t, data)
	if status != 200 || len(l.Data) != 2 || l.Data[0]["name"] != "Gen" {
		t.Errorf("list: %d %s", status, data)
	}
	if _, err := a.Accounts.CreateAffiliate(context.Background(), other.ID, account.AffiliateInput{Name: "Z", Email: "z@example.com"}); err != nil {
		t.Fatal(err)
	}
	status, data = a.Do(t, "GET", "/api/v1/affiliates", nil, auth)
	if l := apptest.Decode[listAnswer](t, data); status != 200 || len(l.Data) != 2 {
		t.Errorf("another tenant's affiliate is listed: %s", data)
	}
}

// Promotion codes assigned through the API: case-folded, unique per tenant
// (a taken one → 409 and nothing created), listed with the affiliate;
// another tenant may assign the same code.
func TestAffiliateCoupons(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	auth := "Authorization: Bearer " + ten.Token
	status, data := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Pod","email":"pod@example.com","coupons":["Spring25"," podcast ","spring25"]}`, auth)
	if status != http.StatusCreated || !strings.Contains(string(data), `"coupons":["PODCAST","SPRING25"]`) {
		t.Fatalf("create: %d %s", status, data)
	}
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Copy","email":"copy@example.com","coupons":["SPRING25"]}`, auth); s != http.StatusConflict {
		t.Errorf("a taken code: %d %s, want 409", s, d)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM affiliates WHERE email = 'copy@example.com'`); n != 0 {
		t.Errorf("the refused affiliate was created")
	}
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Bad","email":"bad@example.com","coupons":["no spaces!"]}`, auth); s != http.StatusBadRequest {
		t.Errorf("a malformed code: %d %s, want 400", s, d)
	}
	if s, d := a.Do(t, "POST", "/api/v1/affiliates", `{"name":"Pod","email":"pod@example.com","coupons":["spring25"]}`, "Authorization: Bearer "+other.Token); s != http.StatusCreated {
		t.Errorf("the same code in another tenant: %d %s", s, d)
	}
	status, data = a.Do(t, "GET", "/api/v1/affiliates", nil, auth)
	if status != 200 || !strings.Contains(string(data), `"coupons":["PODCAST","SPRING25"]`) {
		t.Errorf("list: %d %s", status, data)
	}
}
