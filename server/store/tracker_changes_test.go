package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// WatchTrackerChanges hears a committed change to an affiliate's status
// (any connection's), and after its connection is killed it says so,
// reconnects by itself and reports a change (what was missed meanwhile).
func TestWatchTrackerChangesHearsChangesAndReconnects(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var events []string
	note := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	done := make(chan error)
	go func() {
		done <- st.WatchTrackerChanges(ctx, func() { note("changed") }, func(on bool) {
			if on {
				note("on")
			} else {
				note("off")
			}
		})
	}()
	waitFor := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			count := 0
			for _, e := range events {
				if e == what {
					count++
				}
			}
			mu.Unlock()
			if count >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q not seen %d times: %v", what, n, events)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("on", 1)
	waitFor("changed", 1)
	tid, affs := newClickTenant(t, st, 1)
	mu.Lock()
	events = nil
	mu.Unlock()
	if _, err := st.DB().ExecContext(ctx, `UPDATE affiliates SET status = $3 WHERE tenant_id = $1 AND id = $2`,
		tid, affs[0].ID, string(tracklane.AffiliateSuspended)); err != nil {
		t.Fatal(err)
	}
	waitFor("changed", 1)
	// Kill the listening connection: the watcher says so and comes back.
	if _, err := st.DB().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil {
		t.Fatal(err)
	}
	waitFor("off", 1)
	waitFor("on", 1)
	waitFor("changed", 2)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("WatchTrackerChanges returned %v", err)
	}
}
