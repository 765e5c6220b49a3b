package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

type payoutAnswer struct {
	ID            string   `json:"id"`
	AffiliateID   string   `json:"affiliate_id"`
	Currency      string   `json:"currency"`
	Amount        int64    `json:"amount"`
	Status        string   `json:"status"`
	ConversionIDs []string `json:"conversion_ids"`
	Adjustments   []struct {
		ConversionID string `json:"conversion_id"`
		Amount       int64  `json:"amount"`
		Reason       string `json:"reason"`
	} `json:"adjustments"`
	PayoutEmail *string `json:"payout_email"`
	Reference   *string `json:"reference"`
	CreatedAt   string  `json:"created_at"`
	PaidAt      *string `json:"paid_at"`
}

// TestPayoutAPI walks a payout through the API: 201 with the created
// payouts, 200 with none, the bare object for one, paid with a reference,
// the 409s of finished payouts, the conversion's payout_id, and a later
// refund clawed back from the next payout.
func TestPayoutAPI(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	auth := "Authorization: Bearer " + ten.Token
	aff := a.NewAffiliate(t, ten.ID, "payee")
	conv, charge := a.ApprovedSale(t, ten.ID, aff, 10000, "usd")
	a.ApprovedSale(t, ten.ID, aff, 5000, "usd")

	s, body := a.Do(t, "POST", "/api/v1/payouts", nil, auth)
	if s != 201 {
		t.Fatalf("create: %d %s", s, body)
	}
	created := apptest.Decode[struct {
		Data []payoutAnswer `json:"data"`
	}](t, body).Data
	if len(created) != 1 || created[0].Amount != 3000 || created[0].Status != "pending" || len(created[0].ConversionIDs) != 2 ||
		created[0].Adjustments == nil || created[0].PaidAt != nil || created[0].Reference != nil || created[0].Currency != "usd" {
		t.Fatalf("created %s", body)
	}
	for _, b := range []any{`{}`, nil, " "} {
		if s, body := a.Do(t, "POST", "/api/v1/payouts", b, auth); s != 200 || string(body) != `{"data":[]}` {
			t.Errorf("nothing payable (body %q): %d %s", b, s, body)
		}
	}
	id := created[0].ID
	s, body = a.Do(t, "GET", "/api/v1/payouts/"+id, nil, auth)
	if one := apptest.Decode[payoutAnswer](t, body); s != 200 || one.ID != id || one.AffiliateID != aff.ID {
		t.Errorf("get: %d %s", s, body)
	}
	s, body = a.Do(t, "GET", "/api/v1/conversions", nil, auth)
	if s != 200 || !strings.Contains(string(body), `"payout_id":"`+id+`"`) {
		t.Errorf("conversion JSON lacks its payout: %s", body)
	}
	s, body = a.Do(t, "POST", "/api/v1/payouts/"+id+"/paid", `{"reference":"PP-123"}`, auth)
	paid := apptest.Decode[payoutAnswer](t, body)
	if s != 200 || paid.Status != "paid" || paid.Reference == nil || *paid.Reference != "PP-123" || paid.PaidAt == nil {
		t.Fatalf("paid: %d %s", s, body)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE kind = 'payout_paid' AND recipient = $1`, aff.Email); n != 1 {
		t.Errorf("%d payout mails to %s", n, aff.Email)
	}
	for _, path := range []string{"/paid", "/cancel"} {
		if s, body := a.Do(t, "POST", "/api/v1/payouts/"+id+path, nil, auth); s != 409 || !strings.Contains(string(body), `{"error":{"message":`) {
			t.Errorf("%s on a paid payout: %d %s", path, s, body)
		}
	}
	// Refunded after payment: clawed back from the next payout.
	a.Refund(t, ten.ID, charge, 10000)
	a.ApprovedSale(t, ten.ID, aff, 20000, "usd")
	s, body = a.Do(t, "POST", "/api/v1/payouts", `{"affiliate_id":"`+aff.ID+`"}`, auth)
	next := apptest.Decode[struct {
		Data []payoutAnswer `json:"data"`
	}](t, body).Data
	if s != 201 || len(next) != 1 || next[0].Amount != 2000 || len(next[0].Adjustments) != 1 ||
		next[0].Adjustments[0].Amount != -2000 || next[0].Adjustments[0].ConversionID != conv {
		t.Fatalf("next payout: %d %s", s, body)
	}
	s, body = a.Do(t, "POST", "/api/v1/payouts/"+next[0].ID+"/cancel", nil, auth)
	if s != 200 || apptest.Decode[payoutAnswer](t, body).Status != "cancelled" {
		t.Errorf("cancel: %d %s", s, body)
	}
	if s, _ := a.Do(t, "POST", "/api/v1/payouts/"+next[0].ID+"/paid", nil, auth); s != 409 {
		t.Errorf("paying a cancelled payout: %d", s)
	}
	// Lists page like the others.
	a.Do(t, "POST", "/api/v1/payouts", nil, auth)
	s, body = a.Do(t, "GET", "/api/v1/payouts?limit=2", nil, auth)
	l := apptest.Decode[listAnswer](t, body)
	if s != 200 || len(l.Data) != 2 || l.NextCursor == nil {
		t.Fatalf("page 1: %d %s", s, body)
	}
	s, body = a.Do(t, "GET", "/api/v1/payouts?limit=2&cursor="+*l.NextCursor, nil, auth)
	if l2 := apptest.Decode[listAnswer](t, body); s != 200 || len(l2.Data) != 1 || l2.NextCursor != nil {
		t.Errorf("page 2: %d %s", s, body)
	}
	s, body = a.Do(t, "GET", "/api/v1/payouts?status=cancelled&affiliate_id="+aff.ID, nil, auth)
	if l := apptest.Decode[listAnswer](t, body); s != 200 || len(l.Data) != 1 || l.Data[0]["status"] != "cancelled" {
		t.Errorf("filtered: %d %s", s, body)
	}
}

// TestPayoutAPIRefusals: bad input and other tenants' objects get clear
// 4xx answers and change nothing.
func TestPayoutAPIRefusals(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	auth := "Authorization: Bearer " + ten.Token
	theirs := a.NewAffiliate(t, other.ID, "theirs")
	a.ApprovedSale(t, other.ID, theirs, 10000, "usd")
	s, body := a.Do(t, "POST", "/api/v1/payouts", nil, "Authorization: Bearer "+other.Token)
	if s != 201 {
		t.Fatalf("their create: %d %s", s, body)
	}
	theirID := apptest.Decode[struct {
		Data []payoutAnswer `json:"data"`
	}](t, body).Data[0].ID
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/api/v1/payouts/" + theirID, nil, 404},
		{"POST", "/api/v1/payouts/" + theirID + "/paid", nil, 404},
		{"POST", "/api/v1/payouts/" + theirID + "/cancel", nil, 404},
		{"POST", "/api/v1/payouts", `{"affiliate_id":"` + theirs.ID + `"}`, 404},
		{"GET", "/api/v1/payouts?affiliate_id=" + theirs.ID, nil, 404},
		{"GET", "/api/v1/payouts?status=sent", nil, 400},
		{"GET", "/api/v1/payouts?limit=0", nil, 400},
		{"GET", "/api/v1/payouts/paypal.csv?status=nope", nil, 400},
		{"POST", "/api/v1/payouts", `{"affiliate_id":`, 400},
		{"POST", "/api/v1/payouts", `{"affiliate_id":7}`, 400},
		{"POST", "/api/v1/payouts", strings.Repeat(" ", 20<<10) + `{}`, 413},
		{"POST", "/api/v1/payouts/" + theirID + "/paid", `{"reference":"a\nb"}`, 400},
		{"POST", "/api/v1/payouts/po_missing/paid", `{"reference":"x"}`, 404},
	} {
		s, body := a.Do(t, tc.method, tc.path, tc.body, auth)
		if s != tc.want || !strings.Contains(string(body), `{"error":{"message":`) {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, s, body, tc.want)
		}
	}
	if s, _ := a.Do(t, "GET", "/api/v1/payouts", nil); s != 401 {
		t.Errorf("no token: %d", s)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM payouts WHERE status <> 'pending'`); n != 0 {
		t.Errorf("a refused call changed %d payouts", n)
	}
}

// TestPayPalFile: no header; email, major units (yen whole), upper-case
// currency, payout id, a note; payouts without a payout email left out.
func TestPayPalFile(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	auth := "Authorization: Bearer " + ten.Token
	name := "Shop, \"Best\""
	if _, err := a.Accounts.UpdateSettings(context.Background(), ten.ID, account.SettingsInput{Name: &name}); err != nil {
		t.Fatal(err)
	}
	usd := a.NewAffiliate(t, ten.ID, "usd-payee")
	yen := a.NewAffiliate(t, ten.ID, "yen-payee")
	none := a.NewAffiliate(t, ten.ID, "no-email")
	a.ApprovedSale(t, ten.ID, usd, 6250, "usd") // 12.50
	a.ApprovedSale(t, ten.ID, yen, 5000, "jpy") // ¥1000
	a.ApprovedSale(t, ten.ID, none, 5000, "eur")
	ctx := context.Background()
	for id, email := range map[string]string{usd.ID: "pay-usd@paypal.example", yen.ID: "pay-yen@paypal.example"} {
		if _, err := a.Store.DB().ExecContext(ctx, `UPDATE affiliates SET payout_email = $2 WHERE id = $1`, id, email); err != nil {
			t.Fatal(err)
		}
	}
	s, body := a.Do(t, "POST", "/api/v1/payouts", nil, auth)
	if s != 201 {
		t.Fatalf("create: %d %s", s, body)
	}
	ids := map[string]string{}
	for _, p := range apptest.Decode[struct {
		Data []payoutAnswer `json:"data"`
	}](t, body).Data {
		ids[p.Currency] = p.ID
	}
	s, body = a.Do(t, "GET", "/api/v1/payouts/paypal.csv?status=pending", nil, auth)
	want := []string{
		`pay-usd@paypal.example,12.50,USD,` + ids["usd"] + `,"Affiliate commission from Shop, ""Best"""`,
		`pay-yen@paypal.example,1000,JPY,` + ids["jpy"] + `,"Affiliate commission from Shop, ""Best"""`,
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if s != 200 || len(lines) != 2 {
		t.Fatalf("paypal.csv: %d\n%s", s, body)
	}
	got := map[string]bool{lines[0]: true, lines[1]: true}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing line %s in\n%s", w, body)
		}
	}
	if s, body := a.Do(t, "GET", "/api/v1/payouts/paypal.csv?status=paid", nil, auth); s != 200 || len(body) != 0 {
		t.Errorf("no paid payouts: %d %q", s, body)
	}
}
