package faulttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// serverEnv is the environment of a server process on database dsn that
// reads Stripe at stripeBase and checks every second.
func serverEnv(dsn, stripeBase string) map[string]string {
	return map[string]string{
		"DATABASE_URL": dsn, "SECRET_KEY": secretKey,
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_TEST_SECRET_KEY": testKey, "STRIPE_API_BASE": stripeBase,
		"SYNC_INTERVAL": "1s", "TRACKING_RATE_LIMIT": "0",
	}
}

// TestSIGKILLMidSync kills the server process with SIGKILL while its first
// check of an account is paging through thousands of events, starts it
// again, and expects the next check to finish the work with every event
// applied exactly once.
func TestSIGKILLMidSync(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	db := st.DB()
	fs := newFakeStripe(t)
	const acct = "acct_sigkill"
	const email = "buyer@customer.example"
	m := provision(t, st, email)
	conn := connect(t, st, m.TenantID, acct)

	// 600 paid invoices of 50.00, every tenth partly refunded (10.00):
	// 1260 events Tracklane reads, 13 pages.
	const payments = 600
	t0 := time.Now().Add(time.Minute)
	cus := fs.CreateCustomer(acct, true, email, t0)
	charges := make([]string, payments)
	for i := range payments {
		_, charges[i] = fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 5000, At: t0.Add(time.Duration(i) * time.Second)})
	}
	refunds := 0
	for i := 0; i < payments; i += 10 {
		fs.Refund(acct, charges[i], 1000, t0.Add(time.Hour+time.Duration(i)*time.Second))
		refunds++
	}
	ids, _ := handledEvents(fs, acct)
	wantEvents := len(ids)
	// Every page of events takes 150 ms: the first check lasts seconds.
	const pageDelay = 150 * time.Millisecond
	fs.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Delay: pageDelay, Count: 100000})

	env := serverEnv(dsn, fs.URL())
	first := fault.StartServer(t, "server#1", env)
	applied := func() int { return queryInt(t, db, `SELECT count(*) FROM stripe_events WHERE account_id = $1`, acct) }
	if !waitFor(30*time.Second, func() bool { return applied() >= 300 }) {
		t.Fatalf("the first check did not get going: %d events applied", applied())
	}
	first.Kill()
	atKill := applied()
	before, err := st.ConnectionByID(context.Background(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if atKill >= wantEvents || before.BackfillAfter == "" {
		t.Fatalf("the kill missed the check: %d of %d events applied, backfill cursor %q", atKill, wantEvents, before.BackfillAfter)
	}
	if before.LastCheck == nil || before.LastCheck.FinishedAt != nil {
		t.Errorf("the killed check should show as started, not finished: %+v", before.LastCheck)
	}
	t.Logf("SIGKILL after %d of %d events (backfill cursor %s)", atKill, wantEvents, before.BackfillAfter)

	second := fault.StartServer(t, "server#2", env)
	done := waitFor(60*time.Second, func() bool {
		c, err := st.ConnectionByID(context.Background(), conn.ID)
		return err == nil && c.LastCheck != nil && c.LastCheck.FinishedAt != nil && c.LastCheck.Error == "" &&
			c.BackfillAfter == "" && applied() == wantEvents
	})
	second.Kill()
	if !done {
		c, _ := st.ConnectionByID(context.Background(), conn.ID)
		t.Fatalf("the restarted server did not finish the work: %d of %d events, last check %+v", applied(), wantEvents, c.LastCheck)
	}

	l := readLedger(t, db, acct)
	lost, doubled := checkExactlyOnce(t, l, payments, ids)
	if n := queryInt(t, db, `SELECT count(*) FROM conversions WHERE stripe_account = $1 AND amount = 4000 AND commission = 800`, acct); n != refunds {
		t.Errorf("%d partly refunded conversions (40.00, commission 8.00), want %d", n, refunds)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM conversions WHERE stripe_account = $1 AND amount = 5000 AND commission = 1000`, acct); n != payments-refunds {
		t.Errorf("%d untouched conversions, want %d", n, payments-refunds)
	}
	if u := fs.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected Stripe calls: %+v", u)
	}
	t.Logf("figures: Stripe requests %d, delay faults injected %d (%s per events page), SIGKILL 1 after %d events, events applied %d/%d, conversions %d, lost %d, doubled %d",
		fs.CallCount(), countPath(fs.Calls(), "/v1/events"), pageDelay, atKill, l.Events, wantEvents, l.Conversions, lost, doubled)
}

func countPath(calls []fakestripe.Call, path string) int {
	n := 0
	for _, c := range calls {
		if c.Path == path {
			n++
		}
	}
	return n
}
