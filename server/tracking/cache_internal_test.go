package tracking

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// A look-up that read the database before a clear stores nothing after
// it: what it read may be what the change replaced.
func TestCacheClearBeatsALookUpUnderWay(t *testing.T) {
	c := newTTLCache[string](15 * time.Second)
	gen := c.generation() // a look-up starts
	c.clear()             // a change is heard
	c.put("k", "stale", gen, 0)
	if v, ok := c.get("k"); ok {
		t.Errorf("a stale read was cached: %q", v)
	}
	c.put("k", "fresh", c.generation(), 0)
	if v, ok := c.get("k"); !ok || v != "fresh" {
		t.Errorf("get = %q %v", v, ok)
	}
}

// unheard is TrackerChanges whose notifications never flow (the
// connection is down): it waits for the end.
type unheard struct{ started chan struct{} }

func (u unheard) WatchTrackerChanges(ctx context.Context, changed func(), listening func(bool)) error {
	listening(false)
	close(u.started)
	<-ctx.Done()
	return ctx.Err()
}

// While changes cannot be heard, cached entries live at most unheardTTL,
// so a change still reaches the click path within 1 s; a handler nobody
// watches keeps them the full 15 s.
func TestCacheEntriesLiveOneSecondWhileChangesAreUnheard(t *testing.T) {
	h := &Handler{tenants: newTTLCache[tracklane.Tenant](15 * time.Second)}
	if b := h.ttlBound(); b != 0 {
		t.Fatalf("unwatched: bound %v, want none", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := unheard{started: make(chan struct{})}
	done := make(chan error)
	go func() { done <- h.Watch(ctx, u) }()
	<-u.started
	if b := h.ttlBound(); b != unheardTTL {
		t.Errorf("watched, unheard: bound %v, want %v", b, unheardTTL)
	}
	h.tenants.put("tn_1", tracklane.Tenant{ID: "tn_1"}, h.tenants.generation(), h.ttlBound())
	if exp := h.tenants.m["tn_1"].exp; time.Until(exp) > unheardTTL {
		t.Errorf("an entry cached while unheard lives %v", time.Until(exp))
	}
	h.heard.Store(true)
	if b := h.ttlBound(); b != 0 {
		t.Errorf("heard: bound %v, want none", b)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Watch returned %v", err)
	}
}
