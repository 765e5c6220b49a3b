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
// newest event) back to cur.BackfillSince (0: as far as Stripe goes). While
// a page is applied the next one is already being read.
func (cr *checkRun) backfill(ctx context.Context) error {
	var next <-chan pageResult
	for cr.cur.BackfillAfter != "" {
		if next == nil {
			next = cr.fetch(ctx, backfillQuery(cr.cur))
		}
		p := <-next
		next = nil
		if errors.Is(p.err, errCursorGone) { // the event we stopped at expired: start over, idempotently
			cr.cur.BackfillAfter = "*"
			continue
		}
		if p.err != nil {
			return p.err
		}
		following := afterBackfillPage(cr.cur, p)
		if following.BackfillAfter != "" {
			next = cr.fetch(ctx, backfillQuery(following))
		}
		if err := cr.apply(ctx, p.events, following); err != nil {
			return err
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
// event's time, which the caller reads before reading forward again. While
// a page is applied the next one is already being read.
func (cr *checkRun) forward(ctx context.Context) (gone bool, err error) {
	var next <-chan pageResult
	for cr.cur.EventID != "" {
		if next == nil {
			next = cr.fetch(ctx, forwardQuery(cr.cur.EventID))
		}
		p := <-next
		next = nil
		if errors.Is(p.err, errCursorGone) {
			// Re-reading since its time is idempotent: events apply once.
			return true, cr.apply(ctx, nil, store.CursorUpdate{BackfillAfter: "*", BackfillSince: cr.cur.Created})
		}
		if p.err != nil {
			return false, p.err
		}
		if len(p.events) == 0 {
			return false, nil
		}
		last := p.events[len(p.events)-1]
		if p.more {
			next = cr.fetch(ctx, forwardQuery(last.ID))
		}
		if err := cr.apply(ctx, p.events, store.CursorUpdate{EventID: last.ID, Created: last.Created}); err != nil {
			return false, err
		}
		if !p.more {
			return false, nil
		}
	}
	return false, nil
}

// forwardQuery selects the page of events just newer than event after.
func forwardQuery(after string) eventQuery {
	return eventQuery{Types: EventTypes, Limit: pageSize, EndingBefore: after}
}

// apply interprets a page and applies it with the cursor that follows it,
// in one transaction, then counts it in the result.
func (cr *checkRun) apply(ctx context.Context, page []Event, following store.CursorUpdate) error {
	cr.in.notePage(page)
	events := make([]tracklane.StripeEvent, 0, len(page))
	for _, ev := range page {
		se, err := cr.in.interpret(ctx, ev)
		if err != nil {
			return err
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
	return nil
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

// pageResult is one page of events read ahead.
type pageResult struct {
	events []Event
	more   bool
	err    error
}

// fetch reads a page of the connection's events in the background.
func (cr *checkRun) fetch(ctx context.Context, q eventQuery) <-chan pageResult {
	ch := make(chan pageResult, 1)
	go func() {
		events, more, err := cr.client.Events(ctx, cr.conn.AccountID, q)
		ch <- pageResult{events: events, more: more, err: err}
	}()
	return ch
}
