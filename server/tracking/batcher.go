package tracking

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/tracklane/tracklane/server/store"
)

// ClickWriter stores a batch of clicks atomically.
type ClickWriter interface {
	InsertClicks(ctx context.Context, clicks []store.Click) error
}

// Batcher groups concurrent clicks into multi-row inserts ("group commit"):
// each Add waits until the transaction holding its click has committed, so
// an acknowledged click is never lost, while the database sees one commit
// per batch instead of one per click.
type Batcher struct {
	w        ClickWriter
	log      *slog.Logger
	maxBatch int
	queue    chan pending
	wg       sync.WaitGroup
	closeMu  sync.RWMutex
	closed   bool
}

type pending struct {
	click store.Click
	done  chan error
}

// errClosed is returned by Add after Close: the server is shutting down.
var errClosed = errors.New("click batcher is closed")

// NewBatcher starts `writers` goroutines that each write up to maxBatch
// clicks per transaction.
func NewBatcher(w ClickWriter, log *slog.Logger, writers, maxBatch int) *Batcher {
	b := &Batcher{w: w, log: log, maxBatch: maxBatch, queue: make(chan pending, maxBatch*writers*2)}
	for i := 0; i < writers; i++ {
		b.wg.Add(1)
		go b.run()
	}
	return b
}

// Add queues c and returns once it is committed (nil) or failed.
func (b *Batcher) Add(ctx context.Context, c store.Click) error {
	p := pending{click: c, done: make(chan error, 1)}
	b.closeMu.RLock()
	if b.closed {
		b.closeMu.RUnlock()
		return errClosed
	}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		b.closeMu.RUnlock()
		return ctx.Err()
	}
	b.closeMu.RUnlock()
	// Wait for the commit even if the client went away: the click is
	// already in a batch, and the answer must not claim otherwise.
	return <-p.done
}

// Close stops accepting clicks and waits until every queued one is written.
func (b *Batcher) Close() {
	b.closeMu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.closeMu.Unlock()
	b.wg.Wait()
}

func (b *Batcher) run() {
	defer b.wg.Done()
	batch := make([]pending, 0, b.maxBatch)
	clicks := make([]store.Click, 0, b.maxBatch)
	for first := range b.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < b.maxBatch {
			select {
			case p, ok := <-b.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		clicks = clicks[:0]
		for _, p := range batch {
			clicks = append(clicks, p.click)
		}
		// A background context: the batch belongs to many requests, and
		// none of them may cancel the others' writes.
		err := b.w.InsertClicks(context.Background(), clicks)
		if err != nil {
			b.log.Error("writing a click batch", "clicks", len(clicks), "err", err)
		}
		for _, p := range batch {
			p.done <- err
		}
	}
}
