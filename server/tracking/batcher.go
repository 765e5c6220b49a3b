package tracking

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ClickWriter records batches of visits atomically (store.RecordClicks):
// for each visit, the click the visitor gets — an earlier one within the
// repeat window, or the visit's own new click.
type ClickWriter interface {
	RecordClicks(ctx context.Context, shard int, clicks []tracklane.Click) ([]tracklane.Click, error)
}

// Batcher groups concurrent clicks into one transaction per batch ("group
// commit"): each Add waits until the transaction holding its click has
// committed, so an acknowledged click is never lost, while the database sees
// one commit (and one statement) per batch instead of one per click. The
// repeat check is part of the batch's statement.
//
// Each writer has its own queue and rollup shard, and a visitor (by its
// lock bucket, store.VisitorBucket) always goes to the same writer: a
// writer's batches run one after another, so concurrent visits of one
// visitor land in one batch (which gives them one click) or in consecutive
// ones (the later sees the earlier's commit). Writers lock disjoint buckets
// and write disjoint rollup rows, so they never wait for each other. (The
// store locks the buckets anyway: batches of other processes, or of
// imports, that share a visitor are serialised by the database.)
type Batcher struct {
	w        ClickWriter
	log      *slog.Logger
	maxBatch int
	queues   []chan pending
	wg       sync.WaitGroup
	closeMu  sync.RWMutex
	closed   bool
}

type pending struct {
	click tracklane.Click
	done  chan result
}

type result struct {
	click tracklane.Click
	err   error
}

// errClosed is returned by Add after Close: the server is shutting down.
var errClosed = errors.New("click batcher is closed")

// NewBatcher starts `writers` goroutines that each write up to maxBatch
// clicks per transaction.
func NewBatcher(w ClickWriter, log *slog.Logger, writers, maxBatch int) *Batcher {
	if writers < 1 {
		writers = 1
	}
	if maxBatch < 1 {
		maxBatch = 1
	}
	b := &Batcher{w: w, log: log, maxBatch: maxBatch}
	for i := 0; i < writers; i++ {
		b.queues = append(b.queues, make(chan pending, maxBatch*2))
	}
	for i := range b.queues {
		b.wg.Add(1)
		go b.run(i)
	}
	return b
}

// shardOf is the writer of a visitor: its lock bucket (store.VisitorBucket)
// modulo the writer count, so each bucket has one writer.
func (b *Batcher) shardOf(c tracklane.Click) int {
	return store.VisitorBucket(c.VisitorHash) % len(b.queues)
}

// Add queues the visit c and returns, once its batch has committed, the
// click the visitor gets: an earlier one (a repeat) or c.
func (b *Batcher) Add(ctx context.Context, c tracklane.Click) (tracklane.Click, error) {
	p := pending{click: c, done: make(chan result, 1)}
	b.closeMu.RLock()
	if b.closed {
		b.closeMu.RUnlock()
		return tracklane.Click{}, errClosed
	}
	select {
	case b.queues[b.shardOf(c)] <- p:
	case <-ctx.Done():
		b.closeMu.RUnlock()
		return tracklane.Click{}, ctx.Err()
	}
	b.closeMu.RUnlock()
	// Wait for the commit even if the client went away: the click is
	// already in a batch, and the answer must not claim otherwise.
	r := <-p.done
	return r.click, r.err
}

// Close stops accepting clicks and waits until every queued one is written.
func (b *Batcher) Close() {
	b.closeMu.Lock()
	if !b.closed {
		b.closed = true
		for _, q := range b.queues {
			close(q)
		}
	}
	b.closeMu.Unlock()
	b.wg.Wait()
}

func (b *Batcher) run(shard int) {
	defer b.wg.Done()
	queue := b.queues[shard]
	batch := make([]pending, 0, b.maxBatch)
	clicks := make([]tracklane.Click, 0, b.maxBatch)
	for first := range queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < b.maxBatch {
			select {
			case p, ok := <-queue:
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
		got, err := b.w.RecordClicks(context.Background(), shard, clicks)
		if err == nil && len(got) != len(clicks) {
			err = errors.New("click writer answered a different number of clicks")
		}
		if err != nil {
			b.log.Error("writing a click batch", "clicks", len(clicks), "err", err)
		}
		for i, p := range batch {
			if err != nil {
				p.done <- result{err: err}
			} else {
				p.done <- result{click: got[i]}
			}
		}
		clear(batch) // drop references to answered requests
		clear(clicks)
	}
}
