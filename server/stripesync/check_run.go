package stripesync

import (
	"context"
	"errors"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// checkRun is one check of one connection under way: where it has read to
// and what it has applied so far.
type checkRun struct {
	engine *Engine
	client *Client
	conn   tracklane.StripeConnection
	in     *interpreter // caches what it looked up for the whole check
	res    *tracklane.CheckResult
	cur    store.CursorUpdate // the cursor as last applied
	// sinceStats counts events applied since the planner's statistics
	// were last refreshed.
	sinceStats int
	// failures are the connection's events that could not be read, by id:
	// parked ones are skipped by the pages and tried again at the end,
	// but those this check parked (parkedNow).
	failures  map[string]tracklane.ParkedEvent
	parkedNow map[string]bool
}

// startCursor is where a check of conn starts reading; a new connection
// reads everything Stripe still has.
func startCursor(conn tracklane.StripeConnection) store.CursorUpdate {
	cur := store.CursorUpdate{EventID: conn.CursorEventID, Created: conn.CursorCreated,
		BackfillAfter: conn.BackfillAfter, BackfillSince: conn.BackfillSince}
	if cur.EventID == "" && cur.BackfillAfter == "" {
		cur.BackfillAfter = "*"
	}
	return cur
}

// backfill reads newest first, from just after cur.BackfillAfter ("*": the
// newest event) back to cur.BackfillSince (0: as far as Stripe goes). The
// pages are read ahead (see pageStream).
func (cr *checkRun) backfill(ctx context.Context) error {
	for cr.cur.BackfillAfter != "" {
		since := cr.cur.BackfillSince
		pages := cr.stream(ctx, backfillQuery(cr.cur), func(p pageResult) (eventQuery, bool) {
			if !p.more || len(p.events) == 0 {
				return eventQuery{}, false
			}
			return backfillQuery(store.CursorUpdate{BackfillAfter: p.events[len(p.events)-1].ID, BackfillSince: since}), true
		})
		for cr.cur.BackfillAfter != "" {
			p, ahead := pages.next()
			if errors.Is(p.err, errCursorGone) { // the event we stopped at expired: start over, idempotently
				cr.cur.BackfillAfter = "*"
				break
			}
			if p.err != nil {
				return p.err
			}
			if err := cr.apply(ctx, p, ahead, afterBackfillPage(cr.cur, p)); err != nil {
				return err
			}
		}
	}
	return nil
}

// backfillQuery selects the backfill page after cur.
func backfillQuery(cur store.CursorUpdate) eventQuery {
	q := eventQuery{Types: EventTypes, Limit: pageSize, CreatedGTE: cur.BackfillSince}
	if cur.BackfillAfter != "*" {
		q.StartingAfter = cur.BackfillAfter
	}
	return q
}

// afterBackfillPage is the cursor once backfill page p, read from cur, is
// applied. The first page of a backfill from the newest event also fixes
// where forward reading starts (its head), unless the connection already
// has a forward cursor. The last page ends the backfill.
func afterBackfillPage(cur store.CursorUpdate, p pageResult) store.CursorUpdate {
	following := cur
	if cur.BackfillAfter == "*" && following.EventID == "" && len(p.events) > 0 {
		following.EventID, following.Created = p.events[0].ID, p.events[0].Created
	}
	following.BackfillAfter = ""
	if p.more && len(p.events) > 0 {
		following.BackfillAfter = p.events[len(p.events)-1].ID
	} else {
		following.BackfillSince = 0
	}
	return following
}

// forward reads oldest first from the cursor event to the newest, and
// reports gone when Stripe no longer knows the cursor event (it keeps 30
// days): the cursor is then set to a backfill of everything since that
// event's time, which the caller reads before reading forward again. The
// pages are read ahead (see pageStream).
func (cr *checkRun) forward(ctx context.Context) (gone bool, err error) {
	if cr.cur.EventID == "" {
		return false, nil
	}
	pages := cr.stream(ctx, forwardQuery(cr.cur.EventID), func(p pageResult) (eventQuery, bool) {
		if !p.more || len(p.events) == 0 {
			return eventQuery{}, false
		}
		return forwardQuery(p.events[len(p.events)-1].ID), true
	})
	for {
		p, ahead := pages.next()
		if errors.Is(p.err, errCursorGone) {
			// Re-reading since its time is idempotent: events apply once.
			return true, cr.apply(ctx, pageResult{}, nil, store.CursorUpdate{BackfillAfter: "*", BackfillSince: cr.cur.Created})
		}
		if p.err != nil {
			return false, p.err
		}
		if len(p.events) == 0 {
			return false, nil
		}
		last := p.events[len(p.events)-1]
		if err := cr.apply(ctx, p, ahead, store.CursorUpdate{EventID: last.ID, Created: last.Created}); err != nil {
			return false, err
		}
		if !p.more {
			return false, nil
		}
	}
}

// forwardQuery selects the page of events just newer than event after.
func forwardQuery(after string) eventQuery {
	return eventQuery{Types: EventTypes, Limit: pageSize, EndingBefore: after}
}

// apply interprets a page and applies it with the cursor that follows it,
// in one transaction, then counts it in the result. Events already
// recorded (a webhook brought them; p.known says, or the store is asked)
// are skipped before anything is asked of Stripe about them, and so are
// parked ones (tried again at the end of the check). ahead is the next
// page, already read: a charge's invoice_payment.paid may be there. An
// event whose lookup Stripe keeps refusing stops the page until it is
// parked.
func (cr *checkRun) apply(ctx context.Context, p pageResult, ahead []Event, following store.CursorUpdate) error {
	page := p.events
	fresh, err := cr.unread(ctx, page, p.known)
	if err != nil {
		return err
	}
	if err := cr.in.notePage(ctx, fresh, ahead); err != nil {
		return err
	}
	events := make([]tracklane.StripeEvent, 0, len(fresh))
	var retried []string // events that had failed before and apply now
	for _, ev := range fresh {
		se, err := cr.in.interpret(ctx, ev)
		if err != nil {
			parked, err := cr.park(ctx, ev, err)
			if parked {
				continue
			}
			return err
		}
		if _, failed := cr.failures[ev.ID]; failed {
			retried = append(retried, ev.ID)
		}
		se.Via = "check"
		events = append(events, se)
	}
	out, err := cr.engine.store.ApplyEvents(ctx, cr.conn, events, &following)
	if err != nil {
		return err
	}
	cr.cur = following
	cr.res.EventsSeen += len(page)
	cr.res.ConversionsCreated += out.Created
	cr.res.ConversionsUpdated += out.Updated
	cr.refreshStats(ctx, len(page))
	return cr.forget(ctx, retried)
}

// unread drops the page's events already recorded (known, or asked now
// when nil), and the parked ones. An event that had failed and is now
// recorded (a webhook applied it) is no longer counted as failing.
func (cr *checkRun) unread(ctx context.Context, page []Event, known map[string]bool) ([]Event, error) {
	if len(page) == 0 {
		return nil, nil
	}
	if known == nil {
		var err error
		if known, err = cr.known(ctx, page); err != nil {
			return nil, err
		}
	}
	fresh := make([]Event, 0, len(page))
	var applied []string
	for _, ev := range page {
		f, failed := cr.failures[ev.ID]
		switch {
		case known[ev.ID]:
			if failed {
				applied = append(applied, ev.ID)
			}
		case failed && !f.ParkedAt.IsZero():
		default:
			fresh = append(fresh, ev)
		}
	}
	return fresh, cr.forget(ctx, applied)
}

// forget drops the failure records of events that have now applied.
func (cr *checkRun) forget(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		delete(cr.failures, id)
	}
	return cr.engine.store.ForgetEventFailures(ctx, cr.conn.ID, ids)
}

// refreshStats refreshes the sync tables' planner statistics every
// statsEvery applied events: a large backlog grows them faster than
// autovacuum re-plans them.
func (cr *checkRun) refreshStats(ctx context.Context, applied int) {
	if cr.sinceStats += applied; cr.sinceStats < statsEvery {
		return
	}
	cr.sinceStats = 0
	if err := cr.engine.store.RefreshSyncStats(ctx); err != nil {
		cr.engine.log.WarnContext(ctx, "refreshing planner statistics", "err", err)
	}
}

// known asks the store which of the events are already recorded.
func (cr *checkRun) known(ctx context.Context, events []Event) (map[string]bool, error) {
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return cr.engine.store.KnownEvents(ctx, cr.conn.AccountID, cr.conn.Livemode, ids)
}

// pageResult is one page of events read ahead, with which of them the
// store had recorded when it was read (a webhook may record more
// meanwhile: that costs a lookup at most, never a second effect).
type pageResult struct {
	events []Event
	known  map[string]bool
	more   bool
	err    error
}

// fetch reads a page of the connection's events in the background, and
// what the store knows of them.
func (cr *checkRun) fetch(ctx context.Context, q eventQuery) *pageFuture {
	ch := make(chan pageResult, 1)
	go func() {
		events, more, err := cr.client.Events(ctx, cr.conn.AccountID, q)
		p := pageResult{events: events, more: more, err: err}
		if err == nil && len(events) > 0 {
			p.known, p.err = cr.known(ctx, events)
		}
		ch <- p
	}()
	return &pageFuture{ch: ch}
}

// pageFuture is a page being read.
type pageFuture struct {
	ch   <-chan pageResult
	res  pageResult
	done bool
}

func (f *pageFuture) get() pageResult {
	if !f.done {
		f.res, f.done = <-f.ch, true
	}
	return f.res
}

// pageStream reads pages in order, one ahead of the page handed out, so
// each page can be interpreted knowing the next (a charge's
// invoice_payment.paid comes right after it, possibly on the next page);
// the page after that is already being read while the current one is
// applied.
type pageStream struct {
	fetch   func(eventQuery) *pageFuture
	follows func(pageResult) (eventQuery, bool) // the query of the page after a page
	queue   []*pageFuture
}

func (cr *checkRun) stream(ctx context.Context, first eventQuery, follows func(pageResult) (eventQuery, bool)) *pageStream {
	s := &pageStream{fetch: func(q eventQuery) *pageFuture { return cr.fetch(ctx, q) }, follows: follows}
	s.queue = []*pageFuture{s.fetch(first)}
	return s
}

// next returns the next page and the events of the one after it (nil when
// there is none or it failed: that failure is returned in its turn).
func (s *pageStream) next() (pageResult, []Event) {
	p := s.queue[0].get()
	s.queue = s.queue[1:]
	if p.err != nil {
		return p, nil
	}
	if len(s.queue) == 0 {
		if q, ok := s.follows(p); ok {
			s.queue = append(s.queue, s.fetch(q))
		}
	}
	if len(s.queue) == 0 {
		return p, nil
	}
	ahead := s.queue[0].get()
	if ahead.err != nil {
		return p, nil
	}
	if q, ok := s.follows(ahead); ok && len(s.queue) == 1 {
		s.queue = append(s.queue, s.fetch(q))
	}
	return p, ahead.events
}
