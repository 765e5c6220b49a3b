package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// An uninstall ends a connection only when its event was created in or
// after the second of the connection's latest connect (a settings save); a
// live one ends both modes, each by its own connect time.
func TestDisconnectAccountOnlyAfterTheLatestConnect(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, _ := newClickTenant(t, st, 1)
	at := time.Date(2026, 12, 1, 10, 0, 0, 500_000_000, time.UTC)
	st.Now = func() time.Time { return at }
	live, err := st.Connect(ctx, tenantID, "acct_1Uninstall", true, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	st.Now = func() time.Time { return at.Add(time.Hour) } // test mode saved an hour later
	test, err := st.Connect(ctx, tenantID, "acct_1Uninstall", false, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	if !live.LastConnectAt.Equal(at) || !test.LastConnectAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("last connect %v %v", live.LastConnectAt, test.LastConnectAt)
	}
	// Created a second before the live connect: nothing ends.
	if n, err := st.DisconnectAccount(ctx, "acct_1Uninstall", true, at.Add(-time.Second).Truncate(time.Second)); err != nil || n != 0 {
		t.Fatalf("older uninstall ended %d: %v", n, err)
	}
	// In the live connect's second (Stripe's times are whole seconds):
	// live ends, test mode (saved later) stays.
	if n, err := st.DisconnectAccount(ctx, "acct_1Uninstall", true, at.Truncate(time.Second)); err != nil || n != 1 {
		t.Fatalf("uninstall ended %d: %v", n, err)
	}
	l, _ := st.ConnectionByID(ctx, live.ID)
	tc, _ := st.ConnectionByID(ctx, test.ID)
	if l.Active || l.UninstalledAt == nil || !tc.Active {
		t.Errorf("live active %v uninstalled %v; test active %v", l.Active, l.UninstalledAt, tc.Active)
	}
	// A reinstall saves again: the old event, retried, changes nothing.
	st.Now = func() time.Time { return at.Add(2 * time.Hour) }
	if _, err := st.Connect(ctx, tenantID, "acct_1Uninstall", true, "usr", "…"); err != nil {
		t.Fatal(err)
	}
	if n, err := st.DisconnectAccount(ctx, "acct_1Uninstall", true, at.Truncate(time.Second)); err != nil || n != 0 {
		t.Errorf("retried uninstall ended %d: %v", n, err)
	}
	if l, _ := st.ConnectionByID(ctx, live.ID); !l.Active || l.UninstalledAt != nil {
		t.Errorf("reinstalled: active %v uninstalled %v", l.Active, l.UninstalledAt)
	}
}

// A refusal's first time is kept across refused checks and checks that
// failed otherwise; a successful check clears it.
func TestRefusedSinceOutlastsOtherFailures(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, _ := newClickTenant(t, st, 1)
	conn, err := st.Connect(ctx, tenantID, "acct_1Refused", true, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	finish := func(r tracklane.CheckResult) *time.Time {
		t.Helper()
		end := r.StartedAt.Add(time.Second)
		r.FinishedAt = &end
		if err := st.FinishCheck(ctx, conn.ID, r, end.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		c, err := st.ConnectionByID(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastCheck == nil || c.LastCheck.RefusedSince != c.RefusedSince {
			t.Fatalf("last check %+v", c.LastCheck)
		}
		return c.RefusedSince
	}
	if got := finish(tracklane.CheckResult{StartedAt: t0, RefusedSince: &t0, Error: "refused"}); got == nil || !got.Equal(t0) {
		t.Fatalf("refused since %v", got)
	}
	if got := finish(tracklane.CheckResult{StartedAt: t0.Add(time.Hour), Error: "Stripe answered 503"}); got == nil || !got.Equal(t0) {
		t.Errorf("after an outage: %v, want %v", got, t0)
	}
	if got := finish(tracklane.CheckResult{StartedAt: t0.Add(2 * time.Hour)}); got != nil {
		t.Errorf("after a successful check: %v", got)
	}
}
