package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// trackerChannel is the notification channel on which PostgreSQL announces
// a change to a row the click path caches: migration 0021's statement
// triggers on affiliates (inserted, deleted, or a new status, code or
// landing URL) and tenants.
const trackerChannel = "tracklane_tracker"

// WatchTrackerChanges tells this process of every change any process (a
// server, the command line) makes to the affiliates and tenants the click
// path caches, until ctx ends. It calls changed for each change, and
// listening(true) once the notifications flow — after which changed is
// also called, since anything may have changed before —, listening(false)
// whenever the connection that hears them is lost (it reconnects by
// itself; then listening(true) and changed again). It returns ctx's error,
// or why it could not listen.
func (s *Store) WatchTrackerChanges(ctx context.Context, changed func(), listening func(bool)) error {
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			s.log.Warn("tracker change notifications lost; caches are kept briefly until they are back", "err", err)
			listening(false)
		case pq.ListenerEventReconnected:
			listening(true)
		}
	})
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.Close()
	// Listen blocks until the connection is up (Close ends the wait).
	if err := l.Listen(trackerChannel); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("listening for tracker changes: %w", err)
	}
	listening(true)
	changed()
	ping := time.NewTicker(30 * time.Second) // finds a dead connection the network did not report
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.Notify: // nil after a reconnection: whatever was missed
			changed()
		case <-ping.C:
			go l.Ping()
		}
	}
}
