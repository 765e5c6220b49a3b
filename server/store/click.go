package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// clickArgs are the parameters $1–$16 of record_clicks: one array per
// column, in PostgreSQL's binary format (pgarray.go).
func clickArgs(clicks []tracklane.Click) []any {
	text := func(field func(*tracklane.Click) string) []byte { return textArray(clicks, field) }
	return []any{
		text(func(c *tracklane.Click) string { return c.ID }),
		text(func(c *tracklane.Click) string { return c.TenantID }),
		text(func(c *tracklane.Click) string { return c.AffiliateID }),
		timestamptzArray(clicks, func(c *tracklane.Click) time.Time { return c.CreatedAt }),
		text(func(c *tracklane.Click) string { return c.LandingURL }),
		text(func(c *tracklane.Click) string { return c.Referrer }),
		text(func(c *tracklane.Click) string { return c.UTMSource }),
		text(func(c *tracklane.Click) string { return c.UTMMedium }),
		text(func(c *tracklane.Click) string { return c.UTMCampaign }),
		text(func(c *tracklane.Click) string { return c.UTMTerm }),
		text(func(c *tracklane.Click) string { return c.UTMContent }),
		text(func(c *tracklane.Click) string { return c.UserAgent }),
		text(func(c *tracklane.Click) string { return c.Device }),
		byteaArray(clicks, func(c *tracklane.Click) []byte { return c.VisitorHash }),
		text(func(c *tracklane.Click) string { return c.CookieCID }),
		int4Array(clicks, func(c *tracklane.Click) int32 { return int32(VisitorBucket(c.VisitorHash)) }),
	}
}

// recordClicksSQL calls the click writer, migration 0008's record_clicks:
// the locks, the repeat check, the insert and the rollups in one round trip.
const recordClicksSQL = `SELECT out_ord, out_id, out_created_at FROM record_clicks($1::text[], $2::text[], $3::text[],
	$4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
	$13::text[], $14::bytea[], $15::text[], $16::int[], $17::smallint, $18::interval, $19::boolean)`

// VisitorBuckets is the number of lock buckets visitors are spread over
// (VisitorBucket). A batch of clicks locks the buckets of its visitors.
const VisitorBuckets = 64

// VisitorBucket is the lock bucket of a visitor hash. A writer that takes
// only the visitors of some buckets (tracking.Batcher routes by bucket
// modulo its writer count) never waits for another writer's buckets.
func VisitorBucket(visitorHash []byte) int {
	if len(visitorHash) < 4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(visitorHash) % VisitorBuckets)
}

// RecordClicks records a batch of visits in one transaction and returns,
// for each, the click the visitor gets (ID, TenantID, AffiliateID,
// CreatedAt): the one an earlier visit within RepeatWindow made — found by
// c.CookieCID (the cookie's click id, if any) or else by c.VisitorHash, for
// the same tenant and affiliate — or a new click, c itself. Visits of one
// tenant, affiliate and visitor within the batch share the first one's new
// click. Only new clicks are inserted; they are rolled up in the same
// transaction, into the rollup rows of shard (the batch writer's number:
// writers add to different rows, so their commits overlap). A visitor
// counts as unique once per tenant-local day.
//
// Before reading, the batch locks its visitors' buckets (VisitorBucket) per
// tenant until commit, so another batch with one of its visitors — of this
// process or another, routed alike or not — waits and then sees this
// batch's clicks: no second click within the window, no visitor counted
// twice in a day. See migration 0008 for the statement.
func (s *Store) RecordClicks(ctx context.Context, shard int, clicks []tracklane.Click) ([]tracklane.Click, error) {
	return s.writeClicks(ctx, shard, clicks, true)
}

// InsertClicks writes a batch of clicks as given (no repeat check: for
// imports, tools and tests), in one transaction with their daily rollups:
// either all are committed or none.
func (s *Store) InsertClicks(ctx context.Context, clicks []tracklane.Click) error {
	_, err := s.writeClicks(ctx, 0, clicks, false)
	return err
}

func (s *Store) writeClicks(ctx context.Context, shard int, clicks []tracklane.Click, repeats bool) ([]tracklane.Click, error) {
	if len(clicks) == 0 {
		return nil, nil
	}
	args := append(clickArgs(clicks), shard, fmt.Sprintf("%d microseconds", tracklane.RepeatWindow.Microseconds()), repeats)
	// The statement is its own transaction. PostgreSQL breaking a deadlock
	// (batches take their locks in one order, so this is a safety net) or
	// a lost connection aborts it whole: try again. Should a lost
	// connection hide a commit, the retry fails on the clicks' primary key
	// instead of writing them twice.
	for attempt := 0; ; attempt++ {
		out, err := scanClickBatch(ctx, s.recordClicks, args, clicks)
		var pe *pq.Error
		deadlock := errors.As(err, &pe) && pe.Code == "40P01"
		if err == nil || attempt >= 2 || ctx.Err() != nil || !(deadlock || isConnError(err)) {
			return out, err
		}
	}
}

// scanClickBatch runs the batch and reads, by input position, the click
// each visit gets.
func scanClickBatch(ctx context.Context, stmt *sql.Stmt, args []any, clicks []tracklane.Click) ([]tracklane.Click, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("recording %d clicks: %w", len(clicks), err)
	}
	defer rows.Close()
	out := make([]tracklane.Click, len(clicks))
	n := 0
	for rows.Next() {
		var ord int
		var id string
		var at time.Time
		if err := rows.Scan(&ord, &id, &at); err != nil {
			return nil, fmt.Errorf("recording %d clicks: %w", len(clicks), err)
		}
		if ord < 1 || ord > len(clicks) {
			return nil, fmt.Errorf("recording clicks: position %d out of range", ord)
		}
		in := clicks[ord-1]
		if id == in.ID {
			out[ord-1] = in
		} else {
			out[ord-1] = tracklane.Click{ID: id, TenantID: in.TenantID, AffiliateID: in.AffiliateID, CreatedAt: at}
		}
		n++
	}
	// rows.Err is nil only once PostgreSQL reported the statement, and so
	// its implicit transaction, complete: the clicks are committed.
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recording %d clicks: %w", len(clicks), err)
	}
	if n != len(clicks) {
		return nil, fmt.Errorf("recording clicks: %d answers for %d visits", n, len(clicks))
	}
	return out, nil
}

const clickListColumns = `c.id, c.tenant_id, c.affiliate_id, c.created_at, c.landing_url, c.referrer,
	c.utm_source, c.utm_medium, c.utm_campaign, c.utm_term, c.utm_content, c.user_agent, c.device,
	coalesce((SELECT l.external_cid FROM customer_links l WHERE l.click_id = c.id ORDER BY l.created_at DESC, l.id DESC LIMIT 1), '')`

func scanClick(row scanner) (tracklane.Click, error) {
	var c tracklane.Click
	err := row.Scan(&c.ID, &c.TenantID, &c.AffiliateID, &c.CreatedAt, &c.LandingURL, &c.Referrer,
		&c.UTMSource, &c.UTMMedium, &c.UTMCampaign, &c.UTMTerm, &c.UTMContent, &c.UserAgent, &c.Device, &c.ExternalCID)
	return c, err
}

// ClickFilter narrows a click list.
type ClickFilter struct {
	AffiliateID string    // "" = all
	From, To    time.Time // zero = unbounded; To is exclusive
}

// Clicks lists a tenant's clicks, newest first, with their latest link.
func (s *Store) Clicks(ctx context.Context, tenantID string, f ClickFilter, p Page) ([]tracklane.Click, error) {
	t, id := p.afterArgs()
	from, to := f.From, f.To
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	q := `SELECT ` + clickListColumns + ` FROM clicks c
		WHERE c.tenant_id = $1 AND (c.created_at, c.id) < ($2, $3) AND c.created_at >= $4 AND c.created_at < $5`
	args := []any{tenantID, t, id, from, to, p.Limit}
	if f.AffiliateID != "" {
		q += ` AND c.affiliate_id = $7`
		args = append(args, f.AffiliateID)
	}
	q += ` ORDER BY c.created_at DESC, c.id DESC LIMIT $6`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing clicks: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "click", scanClick)
}

// Click returns one of the tenant's clicks.
func (s *Store) Click(ctx context.Context, tenantID, id string) (tracklane.Click, error) {
	c, err := scanClick(s.db.QueryRowContext(ctx, `SELECT `+clickListColumns+` FROM clicks c
		WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id))
	if err != nil {
		return tracklane.Click{}, notFound(err, "no click %q", id)
	}
	return c, nil
}
