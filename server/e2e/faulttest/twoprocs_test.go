package faulttest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// TestTwoProcessesOneDatabase runs two server processes on one database,
// both checking every second, while Check Now is pressed repeatedly (from
// a third engine in the test process: the Stripe App's check-now endpoint
// is not wired into the server yet). Every event must be applied once, and
// the account must never be checked by two checks at once: a check's
// Stripe requests are sequential, so two requests of the account in flight
// together (seen by the proxy) would mean two checks overlapped.
func TestTwoProcessesOneDatabase(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	db := st.DB()
	fs := newFakeStripe(t)
	px := newProxy(t, fs)
	const acct = "acct_two_procs"
	const email = "twice@customer.example"
	m := provision(t, st, email)
	conn := connect(t, st, m.TenantID, acct)

	t0 := time.Now().Add(time.Minute)
	cus := fs.CreateCustomer(acct, true, email, t0)
	pay := func(from, n int) {
		for i := from; i < from+n; i++ {
			fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 2000, At: t0.Add(time.Duration(i) * time.Second)})
		}
	}
	pay(0, 400) // 800 events, 8 pages
	const pageDelay = 100 * time.Millisecond
	fs.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Delay: pageDelay, Count: 100000})

	env := serverEnv(dsn, px.URL())
	a := fault.StartServer(t, "server#A", env)
	b := fault.StartServer(t, "server#B", env)
	engine := newEngine(t, st, px.URL(), 10*time.Second, 50*time.Millisecond)

	// Sample the account's advisory lock: at most one holder, ever, and
	// (to show the rule was exercised) some waiting Check Now presses.
	stopSampling := make(chan struct{})
	sampled := make(chan [3]int, 1)
	go func() {
		var maxHeld, maxWaiting, samples int
		for {
			select {
			case <-stopSampling:
				sampled <- [3]int{maxHeld, maxWaiting, samples}
				return
			case <-time.After(20 * time.Millisecond):
			}
			var held, waiting int
			err := db.QueryRow(`SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) FROM pg_locks
				WHERE locktype = 'advisory' AND classid = 1414679372 AND objid = $1 AND objsubid = 2
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, conn.ID).Scan(&held, &waiting)
			if err == nil {
				samples++
				maxHeld, maxWaiting = max(maxHeld, held), max(maxWaiting, waiting)
			}
		}
	}()

	var mu sync.Mutex
	var presses int
	var pressErrs []error
	press := func(n int, gap time.Duration) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * gap)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_, err := engine.CheckNow(ctx, conn)
				mu.Lock()
				presses++
				if err != nil {
					pressErrs = append(pressErrs, err)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	press(4, 250*time.Millisecond)
	// More payments while both processes keep checking; press again.
	pay(400, 100)
	press(3, 100*time.Millisecond)

	const payments = 500
	ids, _ := handledEvents(fs, acct)
	done := waitFor(45*time.Second, func() bool {
		c, err := st.ConnectionByID(context.Background(), conn.ID)
		return err == nil && c.LastCheck != nil && c.LastCheck.FinishedAt != nil &&
			queryInt(t, db, `SELECT count(*) FROM conversions WHERE stripe_account = $1`, acct) == payments &&
			queryInt(t, db, `SELECT count(*) FROM stripe_events WHERE account_id = $1`, acct) == len(ids)
	})
	// Let both processes run a few more periodic checks on a caught-up
	// account: they must change nothing.
	time.Sleep(1500 * time.Millisecond)
	a.Kill()
	b.Kill()
	close(stopSampling)
	lock := <-sampled
	if lock[0] > 1 {
		t.Errorf("the account's check lock had %d holders at once", lock[0])
	}
	if lock[1] == 0 {
		t.Errorf("no Check Now ever waited for a running check (%d samples): the test did not exercise the rule", lock[2])
	}
	if !done {
		t.Errorf("the work was not finished in time")
	}
	for _, err := range pressErrs {
		t.Errorf("Check Now: %v", err)
	}
	l := readLedger(t, db, acct)
	lost, doubled := checkExactlyOnce(t, l, payments, ids)
	overlap, example := px.MaxOverlap(acct, 20*time.Millisecond)
	if overlap > 1 {
		t.Errorf("two checks of the account overlapped (%d Stripe requests in flight at once): %s", overlap, example)
	}
	vias := queryInt(t, db, `SELECT count(*) FROM stripe_events WHERE account_id = $1 AND via <> 'check'`, acct)
	if vias != 0 {
		t.Errorf("%d events recorded as not from a check", vias)
	}
	if u := fs.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected Stripe calls: %+v", u)
	}
	t.Logf("figures: processes 2 + in-test engine, Check Now presses %d, Stripe requests %d (delay faults %d), max concurrent requests for the account %d, lock holders max %d, waiters max %d (%d samples), events applied %d/%d, conversions %d, lost %d, doubled %d",
		presses, len(px.Calls()), countPath(fs.Calls(), "/v1/events"), overlap, lock[0], lock[1], lock[2], l.Events, len(ids), l.Conversions, lost, doubled)
}
