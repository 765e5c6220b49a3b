package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
	"github.com/tracklane/tracklane/bench/internal/loadgen"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// TestAcknowledgedClicksSurviveSIGKILL runs the built server binary as a
// separate process against a fresh database, drives the click endpoint with
// a distinct user agent per request, and checks that every click answered
// 200 is in the database: exactly as many rows as 200s after a clean run,
// and, when the server is SIGKILLed mid-load, no fewer rows than 200s (a
// batch may commit just before the kill without its answers leaving the
// process: at most one per connection in flight).
func TestAcknowledgedClicksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	root, err := benchenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "tracklane")
	if err := benchenv.Build(ctx, root, bin); err != nil {
		t.Fatal(err)
	}
	dsn := storetest.NewDatabase(t)
	port, err := benchenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := benchenv.Env(dsn, addr, nil)
	prov, err := benchenv.Provision(ctx, bin, env, "durable-aff")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := benchenv.StartServer(ctx, bin, env, addr, filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	var killed atomic.Bool
	t.Cleanup(func() {
		if !killed.Load() {
			srv.Kill()
		}
	})

	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/landing"}`, prov.TenantID, prov.Code)
	clicks := func(tag string) func([]byte, int, int) []byte {
		return func(buf []byte, w, n int) []byte {
			return fmt.Appendf(buf, "POST /tracking/click/v1 HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 durability %s-%d-%d\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s",
				addr, tag, w, n, len(body), body)
		}
	}
	rows := func() int64 {
		n, err := benchenv.CountRows(ctx, dsn, `SELECT count(*) FROM clicks`)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const conns = 16

	// A clean run: the load generator waits for every answer it asked for.
	clean := loadgen.Run(loadgen.Options{Addr: addr, Conns: conns, Measure: time.Second, Request: clicks("clean"), Timeout: 10 * time.Second}, nil)
	if clean.OK(200) == 0 || clean.OK(200) != clean.Sent || clean.Errors > 0 {
		t.Fatalf("clean run: %d sent, answers %s, %d errors (%s)", clean.Sent, clean.StatusSummary(), clean.Errors, clean.FirstError)
	}
	if got := rows(); got != clean.OK(200) {
		t.Fatalf("clean run: %d clicks acknowledged, %d rows", clean.OK(200), got)
	}

	// SIGKILL mid-load.
	before := rows()
	stop := &loadgen.Stopper{}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		killed.Store(true)
		srv.Kill()
		time.Sleep(200 * time.Millisecond)
		stop.Stop()
	}()
	run := loadgen.Run(loadgen.Options{Addr: addr, Conns: conns, Measure: 4 * time.Second, Request: clicks("kill"), Timeout: 10 * time.Second}, stop)
	acked, got := run.OK(200), rows()-before
	t.Logf("clean: %d acknowledged = %d rows; killed mid-load: %d acknowledged, %d rows, %d transport errors",
		clean.OK(200), clean.OK(200), acked, got, run.Errors)
	if acked == 0 || run.Errors == 0 {
		t.Fatalf("the kill did not happen mid-load: %d acknowledged, %d errors", acked, run.Errors)
	}
	if got < acked {
		t.Fatalf("lost acknowledged clicks: %d acknowledged with 200, only %d rows", acked, got)
	}
	if got > acked+conns {
		t.Fatalf("%d rows for %d acknowledged clicks: more than the %d that can be in flight", got, acked, conns)
	}
}
