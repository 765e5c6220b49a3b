package tracking_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// An affiliate approved, suspended or re-activated takes effect on the
// click endpoints within 1 s, in every process (SPEC §14), although each
// process caches affiliates for 15 s: two servers on one database, each
// with its cache warm, both see every change within a second. An
// affiliate testing the link from the approval mail loses no click.
func TestAffiliateStatusReachesEveryProcessWithinASecond(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ctx := context.Background()
	st2, err := store.Open(ctx, a.DSN, storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	srv2, err := cli.NewServer(a.Config, st2, storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv2.Close)
	b := httptest.NewServer(srv2.Handler)
	t.Cleanup(b.Close)

	ten := a.NewTenant(t, "Reach Shop")
	p, err := a.Store.Tenant(ctx, ten.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accounts.Apply(ctx, p, account.Application{Name: "Newcomer", Email: "new@partners.example",
		Password: "a good long password", Code: "newcomer"}); err != nil {
		t.Fatal(err)
	}
	aff, err := a.Store.AffiliateByCode(ctx, ten.ID, "newcomer")
	if err != nil || aff.Status != tracklane.AffiliatePending {
		t.Fatalf("applicant %+v %v", aff, err)
	}
	clickOn := func(base string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/tracking/click/v1",
			strings.NewReader(`{"tenantId":"`+ten.ID+`","aff":"newcomer","url":"https://shop.example/"}`))
		req.Header.Set("User-Agent", "Mozilla/5.0 Reach")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	redirectCID := func(base string) bool {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", base+"/r/newcomer", nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 Reach")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		u, err := res.Location()
		return err == nil && u.Query().Get("cid") != ""
	}
	bases := []string{a.URL, b.URL}
	// Warm both caches with the pending applicant.
	for _, base := range bases {
		if s := clickOn(base); s != http.StatusNotFound {
			t.Fatalf("%s: a pending applicant's click: %d", base, s)
		}
		if redirectCID(base) {
			t.Fatalf("%s: a pending applicant's link carries a click", base)
		}
	}
	within := func(what string, ok func(base string) bool) {
		t.Helper()
		for _, base := range bases {
			deadline := time.Now().Add(time.Second)
			for !ok(base) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not seen on %s within 1 s", what, base)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	for _, step := range []struct {
		action account.StatusAction
		active bool
	}{{account.Approve, true}, {account.Suspend, false}, {account.Activate, true}} {
		if _, err := a.Accounts.SetAffiliateStatus(ctx, ten.ID, aff.ID, step.action); err != nil {
			t.Fatal(err)
		}
		want := http.StatusNotFound
		if step.active {
			want = http.StatusOK
		}
		within(string(step.action)+" (click)", func(base string) bool { return clickOn(base) == want })
		within(string(step.action)+" (link)", func(base string) bool { return redirectCID(base) == step.active })
	}
}
