package account

import (
	"context"
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// Both log-ins answer an unknown email, a string that is no email and an
// account without a password as they answer a wrong password — the same
// error — after comparing the password with the dummy hash, so the answer
// takes as long; a known account's password is compared with its own hash
// only. The dummy hash lets nobody in, not even with its own password.
// (Not parallel: it counts the calls of the package's dummyHash.)
func TestLoginsCompareTheDummyHashForUnknownEmails(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.New(t)
	svc := Service{Store: st, BcryptCost: 4}
	ten, err := svc.CreateTenant(ctx, NewTenantInput{Name: "Acme", Email: "owner@acme.example", Password: "correct horse battery", Website: "https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	tid := ten.Tenant.ID
	jane, err := svc.CreateAffiliate(ctx, tid, AffiliateInput{Name: "Jane", Email: "jane@partners.example", Code: "jane"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAffiliate(ctx, tid, AffiliateInput{Name: "No Password", Email: "nopw@partners.example", Code: "nopw"}); err != nil {
		t.Fatal(err)
	}
	hash, err := HashPassword("jane's own password", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAffiliatePassword(ctx, tid, jane.ID, hash, nil); err != nil {
		t.Fatal(err)
	}

	orig := dummyHash
	calls := 0
	dummyHash = func() []byte { calls++; return orig() }
	t.Cleanup(func() { dummyHash = orig })

	const dummyPassword = "not a password of anyone"
	merchant := func(email, pw string) error { _, err := svc.MerchantLogin(ctx, email, pw); return err }
	affiliate := func(email, pw string) error { _, err := svc.AffiliateLogin(ctx, tid, email, pw); return err }
	for _, tc := range []struct {
		name      string
		login     func(email, pw string) error
		email, pw string
		ok        bool
		dummy     int // comparisons with the dummy hash
	}{
		{"merchant, right password", merchant, " Owner@ACME.example ", "correct horse battery", true, 0},
		{"merchant, wrong password", merchant, "owner@acme.example", "wrong horse battery", false, 0},
		{"merchant, unknown email", merchant, "nobody@acme.example", "correct horse battery", false, 1},
		{"merchant, no email at all", merchant, "not an email", "correct horse battery", false, 1},
		{"merchant, empty email", merchant, "", "", false, 1},
		{"merchant, the dummy's own password", merchant, "nobody@acme.example", dummyPassword, false, 1},
		{"affiliate, right password", affiliate, "JANE@partners.example", "jane's own password", true, 0},
		{"affiliate, wrong password", affiliate, "jane@partners.example", "correct horse battery", false, 0},
		{"affiliate, unknown email", affiliate, "nobody@partners.example", "jane's own password", false, 1},
		{"affiliate, no email at all", affiliate, "jane@", "jane's own password", false, 1},
		{"affiliate, no password set", affiliate, "nopw@partners.example", "", false, 1},
		{"affiliate, no password set, the dummy's own", affiliate, "nopw@partners.example", dummyPassword, false, 1},
		{"affiliate, another program's merchant", affiliate, "owner@acme.example", "correct horse battery", false, 1},
	} {
		calls = 0
		err := tc.login(tc.email, tc.pw)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && (err != errWrongLogin || !apperr.Is(err, apperr.Unauthorized)) {
			t.Errorf("%s: got %v, want the wrong-login answer", tc.name, err)
		}
		if calls != tc.dummy {
			t.Errorf("%s: the dummy hash was compared %d times, want %d", tc.name, calls, tc.dummy)
		}
	}
}
