package faulttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestPostgresRestartUnderLoad restarts a private PostgreSQL cluster twice
// (stop+start, then `pg_ctl restart -m fast`) while visitors click and link
// emails and the periodic Stripe check runs. The server must reconnect by
// itself, /healthz must say 503 during the outage and 200 after, every
// click and link that was answered 200 must be in the database, and every
// Stripe event must take effect once.
func TestPostgresRestartUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := fault.StartCluster(t)
	dsn := pg.DSN("tracklane")
	log := storetest.Logger(t)
	st, err := store.Open(ctx, dsn, log)
	if err != nil {
		t.Fatalf("opening the store on the private cluster: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	db := st.DB()
	fs := newFakeStripe(t)

	vars := serverEnv(dsn, fs.URL())
	cfg, err := config.Load(func(k string) string { return vars[k] }, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := cli.NewServer(cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(hs.Close)
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan struct{})
	go func() { defer close(runDone); srv.Engine.Run(runCtx) }()
	t.Cleanup(func() { stopRun(); <-runDone })

	const acct = "acct_pg_restart"
	m := provision(t, st)

	// 150 buyers paid before the account is connected; their emails arrive
	// through the tracker during the load. More invoices are paid while it
	// runs. The history is complete before connect: from then on the
	// engine may check at any moment, and a customer dated t0 but written
	// after a check's first page would sort before the head that check
	// reads forward from, so no check would ever list it (Stripe dates an
	// event when it happens; only a test can write one into the past).
	const buyers = 150
	t0 := time.Now().Add(2 * time.Minute)
	customers := make([]string, buyers)
	invoiceEmail := map[string]string{}
	var payMu sync.Mutex
	for i := range buyers {
		email := fmt.Sprintf("buyer%d@customer.example", i)
		customers[i] = fs.CreateCustomer(acct, true, email, t0)
		inv, _ := fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: customers[i], AmountPaid: 3000, At: t0.Add(time.Duration(i) * time.Second)})
		invoiceEmail[inv] = email
	}
	conn := connect(t, st, m.TenantID, acct)
	// Each page of events takes 100 ms: checks are in flight most of the time.
	fs.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Delay: 100 * time.Millisecond, Count: 100000})

	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	post := func(path, body, ua string) (int, []byte) {
		req, _ := http.NewRequest("POST", hs.URL+path, strings.NewReader(body))
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil // unknown outcome: not acknowledged
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	type linkKey struct{ cid, email string }
	var (
		mu         sync.Mutex
		ackClicks  = map[string]bool{}
		ackLinks   = map[linkKey]bool{}
		tried      atomic.Int64
		failed     atomic.Int64
		errored    atomic.Int64 // answers that are neither 200 nor the 503 of an outage
		seq        atomic.Int64
		stopLoad   = make(chan struct{})
		loadDone   sync.WaitGroup
		maxRequest = int64(8000)
	)
	worker := func() {
		defer loadDone.Done()
		for {
			select {
			case <-stopLoad:
				return
			default:
			}
			if tried.Load() >= maxRequest {
				return
			}
			i := seq.Add(1)
			ua := fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) restart-visitor-%d", i)
			tried.Add(1)
			status, body := post("/tracking/click/v1", fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/?aff=partner"}`, m.TenantID, m.Aff.Code), ua)
			if status != http.StatusOK {
				failed.Add(1)
				if status != http.StatusServiceUnavailable && status != 0 {
					errored.Add(1)
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			var c struct {
				CID string `json:"cid"`
			}
			if err := json.Unmarshal(body, &c); err != nil || c.CID == "" {
				t.Errorf("click answered 200 with %q", body)
				return
			}
			mu.Lock()
			ackClicks[c.CID] = true
			mu.Unlock()
			email := fmt.Sprintf("visitor%d@customer.example", i)
			if i <= buyers {
				email = fmt.Sprintf("buyer%d@customer.example", i-1)
			}
			tried.Add(1)
			status, _ = post("/tracking/external-cid/v1", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":%q}`, m.TenantID, c.CID, email), ua)
			if status != http.StatusOK {
				failed.Add(1)
				if status != http.StatusServiceUnavailable && status != 0 {
					errored.Add(1)
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			mu.Lock()
			ackLinks[linkKey{c.CID, email}] = true
			mu.Unlock()
		}
	}
	acked := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(ackClicks)
	}
	const workers = 6
	loadDone.Add(workers)
	for range workers {
		go worker()
	}
	// Recurring invoices keep arriving during the load.
	payerDone := make(chan struct{})
	go func() {
		defer close(payerDone)
		for i := 0; i < 300; i++ {
			select {
			case <-stopLoad:
				return
			case <-time.After(20 * time.Millisecond):
			}
			c := i % buyers
			inv, _ := fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: customers[c], AmountPaid: 1000,
				At: t0.Add(time.Hour + time.Duration(i)*time.Second)})
			payMu.Lock()
			invoiceEmail[inv] = fmt.Sprintf("buyer%d@customer.example", c)
			payMu.Unlock()
		}
	}()
	stopAll := sync.OnceFunc(func() { close(stopLoad); loadDone.Wait(); <-payerDone })
	t.Cleanup(stopAll)

	health := func() int {
		resp, err := client.Get(hs.URL + "/healthz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitHealth := func(want int, timeout time.Duration) (time.Duration, bool) {
		start := time.Now()
		ok := waitFor(timeout, func() bool { return health() == want })
		return time.Since(start), ok
	}
	if !waitFor(20*time.Second, func() bool {
		return acked() >= 100 && queryInt(t, db, `SELECT count(*) FROM stripe_events`) > 0
	}) {
		t.Fatalf("the load did not get going: %d clicks acknowledged", acked())
	}

	// Outage 1: stop, see 503, start, see 200.
	beforeStop := acked()
	pg.Stop(t)
	if _, ok := waitHealth(http.StatusServiceUnavailable, 10*time.Second); !ok {
		t.Errorf("/healthz did not report the database outage (503)")
	}
	time.Sleep(700 * time.Millisecond) // the load keeps knocking
	pg.Start(t)
	recovery1, ok := waitHealth(http.StatusOK, 30*time.Second)
	if !ok {
		t.Fatalf("/healthz did not recover after PostgreSQL came back")
	}
	if !waitFor(20*time.Second, func() bool { return acked() >= beforeStop+100 }) {
		t.Fatalf("clicks are not acknowledged again after the restart: %d before, %d now", beforeStop, acked())
	}

	// Outage 2: pg_ctl restart -m fast, no pause.
	beforeRestart := acked()
	pg.Restart(t)
	recovery2, ok := waitHealth(http.StatusOK, 30*time.Second)
	if !ok {
		t.Fatalf("/healthz did not recover after pg_ctl restart")
	}
	if !waitFor(20*time.Second, func() bool { return acked() >= beforeRestart+100 }) {
		t.Fatalf("clicks are not acknowledged again after pg_ctl restart: %d before, %d now", beforeRestart, acked())
	}
	stopAll()
	stopRun()
	<-runDone

	// The check catches up with everything Stripe has (a check cut by the
	// restart may have recorded an error; the next one finishes the work).
	var final tracklane.CheckResult
	var checkErr error
	for attempt := 0; attempt < 5; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		final, checkErr = srv.Engine.CheckNow(cctx, conn)
		cancel()
		if checkErr == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if checkErr != nil {
		t.Fatalf("the check after the restarts still fails: %v", checkErr)
	}

	// Every acknowledged click and link is stored.
	clickRows := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM clicks WHERE tenant_id = $1`, m.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		clickRows[id] = true
	}
	rows.Close()
	lostClicks := 0
	for cid := range ackClicks {
		if !clickRows[cid] {
			lostClicks++
		}
	}
	linkRows := map[linkKey]int{}
	linkedEmails := map[string]bool{}
	rows, err = db.Query(`SELECT click_id, external_cid FROM customer_links WHERE tenant_id = $1`, m.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k linkKey
		rows.Scan(&k.cid, &k.email)
		linkRows[k]++
		linkedEmails[k.email] = true
	}
	rows.Close()
	lostLinks, doubledLinks := 0, 0
	for k := range ackLinks {
		if linkRows[k] == 0 {
			lostLinks++
		}
	}
	for _, n := range linkRows {
		if n > 1 {
			doubledLinks += n - 1
		}
	}
	if lostClicks != 0 || lostLinks != 0 {
		t.Errorf("acknowledged but lost: %d clicks, %d links", lostClicks, lostLinks)
	}
	if doubledLinks != 0 {
		t.Errorf("%d link rows stored twice", doubledLinks)
	}

	// Every payment whose email is linked is one conversion, once.
	wantConversions := 0
	payMu.Lock()
	for _, email := range invoiceEmail {
		if linkedEmails[email] {
			wantConversions++
		}
	}
	payMu.Unlock()
	ids, _ := handledEvents(fs, acct)
	l := readLedger(t, db, acct)
	lost, doubled := checkExactlyOnce(t, l, wantConversions, ids)

	mu.Lock()
	nClicks, nLinks := len(ackClicks), len(ackLinks)
	mu.Unlock()
	if n := errored.Load(); n > 0 {
		t.Errorf("%d tracker answers during the outage were neither 200 nor 503 (retry later)", n)
	}
	t.Logf("figures: outages 2 (stop/start, restart -m fast), /healthz recovered in %s and %s, requests tried %d, failed (no 200) %d, clicks acknowledged %d, click rows %d (committed but not acknowledged %d), links acknowledged %d, link rows %d, lost clicks %d, lost links %d, doubled links %d; Stripe requests %d, events applied %d/%d, conversions %d/%d, lost %d, doubled %d; last check %+v",
		recovery1.Round(time.Millisecond), recovery2.Round(time.Millisecond), tried.Load(), failed.Load(), nClicks, len(clickRows)-1, len(clickRows)-1-nClicks,
		nLinks, len(linkRows), lostClicks, lostLinks, doubledLinks, fs.CallCount(), l.Events, len(ids), l.Conversions, wantConversions, lost, doubled, final)
}
