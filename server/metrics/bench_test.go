package metrics

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

type nopWriter struct{}

func (nopWriter) RecordClicks(_ context.Context, _ int, c []tracklane.Click) ([]tracklane.Click, error) {
	return c, nil
}

type noStore struct{}

func (noStore) OldestCheckSuccess(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

// The click path's share: a counter per refused request, and per batch a
// histogram pair and a counter. Neither may allocate.
func TestClickPathDoesNotAllocate(t *testing.T) {
	m := New(&sql.DB{}, noStore{}, nil)
	w := m.Clicks(nopWriter{})
	batch := make([]tracklane.Click, 64)
	if n := testing.AllocsPerRun(1000, func() { m.Bot(); m.RateLimited() }); n != 0 {
		t.Errorf("counters allocate %v per call", n)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = w.RecordClicks(context.Background(), 0, batch) }); n != 0 {
		t.Errorf("the batch wrapper allocates %v per batch", n)
	}
}

func BenchmarkBotCounter(b *testing.B) {
	m := New(&sql.DB{}, noStore{}, nil)
	b.ReportAllocs()
	for b.Loop() {
		m.Bot()
	}
}

func BenchmarkBatchWrapper(b *testing.B) {
	m := New(&sql.DB{}, noStore{}, nil)
	w := m.Clicks(nopWriter{})
	batch := make([]tracklane.Click, 64)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = w.RecordClicks(context.Background(), 0, batch)
	}
}
