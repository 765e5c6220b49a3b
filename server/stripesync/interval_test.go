package stripesync_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/stripesync"
)

// TestShorterIntervalAfterRestart: a server that ran with SYNC_INTERVAL=1h
// scheduled the next check an hour ahead; restarted with 1s, it checks the
// account again within seconds, not after that hour.
func TestShorterIntervalAfterRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conn := w.connect("acct_interval", true)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := stripesync.NewClient(stripesync.ClientOptions{Key: liveKey, BaseURL: w.stripe.URL()})

	hourly := stripesync.New(w.app.Store, client, nil, time.Hour, log, time.Now)
	if _, err := hourly.CheckNow(context.Background(), conn); err != nil {
		t.Fatalf("check under 1h: %v", err)
	}
	first, err := w.app.Store.ConnectionByID(context.Background(), conn.ID) // as stored: microseconds
	if err != nil || first.LastCheck == nil || first.NextCheckAt.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("under 1h the next check is at %v (%v), want about an hour ahead", first.NextCheckAt, err)
	}

	// The restart: a new engine, with the new interval, runs its loop.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		stripesync.New(w.app.Store, client, nil, time.Second, log, time.Now).Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := w.app.Store.ConnectionByID(context.Background(), conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastCheck != nil && c.LastCheck.FinishedAt != nil && c.LastCheck.StartedAt.After(first.LastCheck.StartedAt) {
			if c.LastCheck.Error != "" {
				t.Errorf("the check after the restart failed: %s", c.LastCheck.Error)
			}
			if c.NextCheckAt.After(time.Now().Add(10 * time.Second)) {
				t.Errorf("after the restart the next check is at %v, want within the 1s interval", c.NextCheckAt)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no check within 15s of a restart with SYNC_INTERVAL=1s (next check at %v)", c.NextCheckAt)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
