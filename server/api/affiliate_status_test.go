package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

type affiliateAnswer struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	PayoutEmail string   `json:"payout_email"`
	Coupons     []string `json:"coupons"`
}

func TestAffiliateStatusActions(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Status Shop")
	other := a.NewTenant(t, "Other Shop")
	auth := "Authorization: Bearer " + ten.Token
	ctx := context.Background()
	tt, err := a.Store.Tenant(ctx, ten.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accounts.Apply(ctx, tt, account.Application{Name: "App Licant", Email: "applicant@example.com",
		Password: "a good long password", Code: "applicant", PayoutEmail: "pay@example.com"}); err != nil {
		t.Fatal(err)
	}
	app, err := a.Store.AffiliateByCode(ctx, ten.ID, "applicant")
	if err != nil {
		t.Fatal(err)
	}
	merchantMade := a.NewAffiliate(t, ten.ID, "made-by-merchant")

	// The status filter.
	status, body := a.Do(t, "GET", "/api/v1/affiliates?status=pending", nil, auth)
	list := apptest.Decode[struct{ Data []affiliateAnswer }](t, body)
	if status != 200 || len(list.Data) != 1 || list.Data[0].ID != app.ID || list.Data[0].Status != "pending" ||
		list.Data[0].PayoutEmail != "pay@example.com" || list.Data[0].Coupons == nil {
		t.Fatalf("pending list: %d %s", status, body)
	}
	status, body = a.Do(t, "GET", "/api/v1/affiliates?status=active", nil, auth)
	if list := apptest.Decode[struct{ Data []affiliateAnswer }](t, body); status != 200 || len(list.Data) != 1 || list.Data[0].ID != merchantMade.ID {
		t.Fatalf("active list: %d %s", status, body)
	}
	if status, body := a.Do(t, "GET", "/api/v1/affiliates?status=sleeping", nil, auth); status != 400 || !strings.Contains(string(body), `"message"`) {
		t.Fatalf("bad status filter: %d %s", status, body)
	}

	do := func(id, action string, want int, wantStatus string) {
		t.Helper()
		status, body := a.Do(t, "POST", "/api/v1/affiliates/"+id+"/"+action, nil, auth)
		if status != want {
			t.Fatalf("%s %s: %d %s, want %d", action, id, status, body, want)
		}
		if want == 200 {
			got := apptest.Decode[affiliateAnswer](t, body)
			if got.ID != id || got.Status != wantStatus || got.Coupons == nil {
				t.Fatalf("%s: %s", action, body)
			}
		}
	}
	do(merchantMade.ID, "approve", 200, "active") // repeating a state is no error
	do(app.ID, "suspend", 409, "")                // an applicant is approved or rejected, not suspended
	do(app.ID, "approve", 200, "active")
	if got := mailsOf(t, a, "application_approved"); len(got) != 1 || got[0] != "applicant@example.com" {
		t.Fatalf("approval mails %v", got)
	}
	do(app.ID, "approve", 200, "active") // again: no second mail
	if got := mailsOf(t, a, "application_approved"); len(got) != 1 {
		t.Fatalf("approval mails after a repeat %v", got)
	}
	do(app.ID, "reject", 409, "")
	do(app.ID, "suspend", 200, "suspended")
	do(app.ID, "approve", 409, "") // a suspended affiliate is activated, not approved
	do(app.ID, "activate", 200, "active")
	do(app.ID, "unknown-action", 404, "")

	// Another tenant's affiliate, or none, is not found and changes nothing.
	otherAff := a.NewAffiliate(t, other.ID, "neighbour")
	do(otherAff.ID, "suspend", 404, "")
	do("af_nope", "activate", 404, "")
	if got, _ := a.Store.Affiliate(ctx, other.ID, otherAff.ID); got.Status != tracklane.AffiliateActive {
		t.Fatalf("another tenant's affiliate is %s", got.Status)
	}
}

func mailsOf(t *testing.T, a *apptest.App, kind string) []string {
	t.Helper()
	rows, err := a.Store.DB().Query(`SELECT recipient FROM mail_outbox WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
