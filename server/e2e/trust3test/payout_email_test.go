package trust3test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// payoutEmail is the affiliate's stored payout email.
func (w *world) payoutEmail(a tracklane.Affiliate) string {
	w.t.Helper()
	got, err := w.app.Store.Affiliate(context.Background(), w.tenant.ID, a.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got.PayoutEmail
}

// TestPayoutEmailChangeNeedsThePasswordAndTellsTheOldAddress: whoever holds
// an affiliate's session (a borrowed laptop, a stolen cookie) cannot move
// the payouts without the password, and a change is mailed to the address
// it moves them from.
func TestPayoutEmailChangeNeedsThePasswordAndTellsTheOldAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	const old, thief = "old-pay@partners.example", "thief@attacker.example"
	a, b := w.member("payee", old)
	b.get(w.portal() + "/settings").must(http.StatusOK)
	for name, form := range map[string]url.Values{
		"no password":    {"payout_email": {thief}},
		"wrong password": {"payout_email": {thief}, "current_password": {"not the password"}},
	} {
		p := b.post(w.portal()+"/settings/payout-email", form)
		if p.status < 400 || p.status > 499 {
			t.Errorf("%s: the payout email form answered %d, want a 4xx", name, p.status)
		}
		if got := w.payoutEmail(a); got != old {
			t.Fatalf("%s: the payout email moved to %q", name, got)
		}
	}
	p := b.post(w.portal()+"/settings/payout-email", url.Values{"payout_email": {"new-pay@partners.example"}, "current_password": {affiliatePassword}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("the change with the password: %d\n%s", p.status, short(p.body))
	}
	if got := w.payoutEmail(a); got != "new-pay@partners.example" {
		t.Fatalf("payout email %q after the change", got)
	}
	told := false
	for _, m := range w.delivered(old) {
		told = told || strings.Contains(m.Text, "new-pay@partners.example")
	}
	if !told {
		t.Error("the old payout address was not told where payouts go now")
	}

	// The merchant's field asks for the merchant's password too.
	m := w.merchant()
	m.get("/affiliates/" + a.ID).must(http.StatusOK)
	if p := m.post("/affiliates/"+a.ID+"/payout-email", url.Values{"payout_email": {thief}}); p.status < 400 || p.status > 499 {
		t.Errorf("the dashboard's payout email form without a password: %d, want a 4xx", p.status)
	}
	if got := w.payoutEmail(a); got != "new-pay@partners.example" {
		t.Fatalf("the dashboard moved the payout email to %q without a password", got)
	}
}

// TestAPendingPayoutKeepsTheEmailItWasCreatedWith: the PayPal file, the
// payout and its "paid" record name the address the payout was made for,
// whatever the affiliate's payout email says later; the merchant sees both.
func TestAPendingPayoutKeepsTheEmailItWasCreatedWith(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	const first, later = "first-pay@partners.example", "later-pay@partners.example"
	a, b := w.member("keeper", first)
	w.app.ApprovedSale(t, w.tenant.ID, a, 10000, "usd")
	status, body := w.api("POST", "/api/v1/payouts", nil)
	if status != http.StatusCreated {
		t.Fatalf("creating payouts: %d %s", status, body)
	}
	payout := apptest.Decode[struct {
		Data []struct {
			ID          string `json:"id"`
			PayoutEmail string `json:"payout_email"`
		} `json:"data"`
	}](t, body).Data[0]
	if payout.PayoutEmail != first {
		t.Fatalf("the new payout's email %q", payout.PayoutEmail)
	}

	b.get(w.portal() + "/settings").must(http.StatusOK)
	b.post(w.portal()+"/settings/payout-email", url.Values{"payout_email": {later}, "current_password": {affiliatePassword}}).must(http.StatusSeeOther)

	type shown struct {
		PayoutEmail string `json:"payout_email"`
		Status      string `json:"status"`
	}
	_, body = w.api("GET", "/api/v1/payouts/"+payout.ID, nil)
	if got := apptest.Decode[shown](t, body); got.PayoutEmail != first {
		t.Errorf("the pending payout follows the new address: %q", got.PayoutEmail)
	}
	_, file := w.api("GET", "/api/v1/payouts/paypal.csv?status=pending", nil)
	if !strings.HasPrefix(string(file), first+",") || strings.Contains(string(file), later) {
		t.Errorf("the PayPal file: %q", file)
	}
	m := w.merchant()
	if p := m.get("/payouts").must(http.StatusOK); !strings.Contains(p.body, first) || !strings.Contains(p.body, later) {
		t.Errorf("the payouts page does not show both addresses of the payout")
	}
	status, body = w.api("POST", "/api/v1/payouts/"+payout.ID+"/paid", map[string]string{"reference": "PP-1"})
	if got := apptest.Decode[shown](t, body); status != http.StatusOK || got.PayoutEmail != first {
		t.Errorf("paid: %d, the payout records %q as paid", status, got.PayoutEmail)
	}
}

// TestFormulaPayoutEmailsAreRefused: an address made to run as a
// spreadsheet formula is refused wherever a payout email is typed, and
// one stored before this rule never reaches a cell of the PayPal file as
// a formula.
func TestFormulaPayoutEmailsAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	const formula = "=cmd|'/Ccalc'!A0@x.example"
	p := w.join(url.Values{"name": {"Eve"}, "email": {"eve@attacker.example"}, "password": {affiliatePassword}, "payout_email": {formula}})
	if p.status != http.StatusBadRequest {
		t.Errorf("join with a formula payout email: %d, want 400", p.status)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE payout_email LIKE '=%'`); n != 0 {
		t.Fatal("an affiliate was stored with a formula payout email")
	}

	a, b := w.member("formula", "")
	b.get(w.portal() + "/settings").must(http.StatusOK)
	for _, bad := range []string{formula, "+1@x.example", "-x@x.example", "tab\there@x.example"} {
		p := b.post(w.portal()+"/settings/payout-email", url.Values{"payout_email": {bad}, "current_password": {affiliatePassword}})
		if p.status != http.StatusBadRequest {
			t.Errorf("portal payout email %q: %d, want 400", bad, p.status)
		}
	}
	m := w.merchant()
	m.get("/affiliates/" + a.ID).must(http.StatusOK)
	if p := m.post("/affiliates/"+a.ID+"/payout-email", url.Values{"payout_email": {formula}, "current_password": {merchantPassword}}); p.status != http.StatusBadRequest {
		t.Errorf("dashboard payout email %q: %d, want 400", formula, p.status)
	}
	if got := w.payoutEmail(a); got != "" {
		t.Fatalf("the payout email became %q", got)
	}

	// Stored before the rule existed: the file never opens it as a formula.
	if _, err := w.app.Store.DB().Exec(`UPDATE affiliates SET payout_email = $1 WHERE id = $2`, formula, a.ID); err != nil {
		t.Fatal(err)
	}
	w.app.ApprovedSale(t, w.tenant.ID, a, 5000, "usd")
	if status, body := w.api("POST", "/api/v1/payouts", nil); status != http.StatusCreated {
		t.Fatalf("creating payouts: %d %s", status, body)
	}
	_, file := w.api("GET", "/api/v1/payouts/paypal.csv?status=pending", nil)
	rows, err := csv.NewReader(strings.NewReader(string(file))).ReadAll()
	if err != nil {
		t.Fatalf("the PayPal file is not CSV: %v\n%s", err, file)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("the PayPal file has a cell starting with %q: %q", cell[0], cell)
			}
		}
	}
}

// TestPasswordFormsInSessionsAreThrottled: a session holder guessing the
// password on the signed-in forms is stopped as a guesser at the log-in
// is: 5 wrong tries, then 429 even for the right password.
func TestPasswordFormsInSessionsAreThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	_, b := w.member("guessed", "")
	b.get(w.portal() + "/settings").must(http.StatusOK)
	for i := range 5 {
		form := url.Values{"current_password": {"wrong guess " + string(rune('a'+i))}, "new_password": {"a takeover password"}}
		if p := b.post(w.portal()+"/settings/password", form); p.status == http.StatusSeeOther {
			t.Fatalf("a wrong current password changed the password")
		}
	}
	p := b.post(w.portal()+"/settings/password", url.Values{"current_password": {affiliatePassword}, "new_password": {"a takeover password"}})
	if p.status != http.StatusTooManyRequests {
		t.Errorf("the 6th try after 5 wrong ones: %d, want 429", p.status)
	}
	p = b.post(w.portal()+"/settings/payout-email", url.Values{"payout_email": {"x@attacker.example"}, "current_password": {affiliatePassword}})
	if p.status != http.StatusTooManyRequests {
		t.Errorf("the payout email form after 5 wrong passwords: %d, want 429", p.status)
	}
}
