package fakestripe

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// GET /v1/account answers the platform's own account, the default one
// until another is named; with Stripe-Account or a parameter it is
// unexpected.
func TestPlatformAccount(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, liveKey, 0)
	a, err := sc.Accounts.Get()
	if err != nil || a.ID != DefaultPlatformAccount || a.Object != "account" {
		t.Fatalf("default account: %+v %v", a, err)
	}
	s.SetPlatformAccount("acct_own")
	a, err = newClient(s, testKey, 0).Accounts.Get()
	if err != nil || a.ID != "acct_own" || s.PlatformAccount() != "acct_own" {
		t.Fatalf("account with the test key: %+v %v", a, err)
	}
	if u := s.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected %+v", u)
	}
	if status, _ := getRaw(t, s, liveKey, "acct_other", "/v1/account"); status == http.StatusOK {
		t.Error("GET /v1/account for another account answered")
	}
	if status, _ := getRaw(t, s, liveKey, "", "/v1/account?expand[]=settings"); status == http.StatusOK {
		t.Error("GET /v1/account with a parameter answered")
	}
	if u := s.Unexpected(); len(u) != 2 || u[0].Path != "/v1/account" || u[1].Path != "/v1/account" {
		t.Errorf("unexpected %+v", u)
	}
}

// An own-account install: requests without Stripe-Account read the
// platform's objects and events, which carry no "account"; naming the
// platform in Stripe-Account works but is recorded as unexpected.
func TestOwnAccountInstall(t *testing.T) {
	s := newServer(t)
	s.SetPlatformAccount("acct_own")
	cus := s.CreateCustomer("acct_own", false, "o@example.com", t0)
	s.PayInvoice("acct_own", false, InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0})
	s.CreateCustomer("acct_connected", false, "c@example.com", t0)

	sc := newClient(s, testKey, 0)
	evs := listAll(t, sc, &stripe.EventListParams{})
	if len(evs) == 0 {
		t.Fatal("no events of the platform's own account without Stripe-Account")
	}
	for _, e := range evs {
		if e.Account != "" {
			t.Errorf("own event %s names account %q", e.ID, e.Account)
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(s.Events("acct_own")[0], &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["account"]; ok {
		t.Errorf("own event rendered with account: %v", raw["account"])
	}
	if err := json.Unmarshal(s.Events("acct_connected")[0], &raw); err != nil || raw["account"] != "acct_connected" {
		t.Errorf("connected event without its account: %v %v", raw["account"], err)
	}
	if c, err := sc.Customers.Get(cus, nil); err != nil || c.Email != "o@example.com" {
		t.Errorf("own customer without Stripe-Account: %+v %v", c, err)
	}
	if u := s.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected %+v", u)
	}
	if evs := listAll(t, sc, eventParams("acct_own")); len(evs) == 0 {
		t.Error("Stripe-Account naming the platform: no events")
	}
	if u := s.Unexpected(); len(u) != 1 || u[0].Account != "acct_own" {
		t.Errorf("a header naming the platform was not flagged: %+v", u)
	}
}

// A sandbox's account refuses the platform's keys with 403; other accounts
// are served.
func TestSandboxRefusesThePlatformKey(t *testing.T) {
	s := newServer(t)
	s.Sandbox("acct_sandbox")
	sc := newClient(s, testKey, 0)
	it := sc.Events.List(eventParams("acct_sandbox"))
	it.Next()
	if se := stripeErr(t, it.Err()); se.HTTPStatusCode != http.StatusForbidden || se.Code != stripe.ErrorCodeAccountInvalid {
		t.Errorf("sandbox: %+v", se)
	}
	if evs := listAll(t, sc, eventParams("acct_other")); len(evs) != 0 {
		t.Errorf("another account: %d events", len(evs))
	}
}
