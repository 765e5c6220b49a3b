package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Click is one visit through an affiliate link. Clicks are append-only.
type Click struct {
	ID          string
	TenantID    string
	AffiliateID string
	CreatedAt   time.Time
	LandingURL  string
	Referrer    string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMTerm     string
	UTMContent  string
	UserAgent   string
	Device      string
	VisitorHash []byte
	// ExternalCID is the customer identifier most recently linked to the
	// click ("" when none); filled by list queries only.
	ExternalCID string
	// CookieCID is the click id the visitor's cookie holds ("" when none);
	// an input of RecordClicks only, never stored.
	CookieCID string
}

// RepeatWindow: a visit of the same tenant, affiliate and visitor within it
// gets the earlier click instead of a new one.
const RepeatWindow = time.Hour

// clickArgs are the parameters $1–$15 of the click statements: one array
// per column, in the order of visitCTEs, in PostgreSQL's binary format
// (pgarray.go).
func clickArgs(clicks []Click) []any {
	text := func(field func(*Click) string) []byte { return textArray(clicks, field) }
	return []any{
		text(func(c *Click) string { return c.ID }),
		text(func(c *Click) string { return c.TenantID }),
		text(func(c *Click) string { return c.AffiliateID }),
		timestamptzArray(clicks, func(c *Click) time.Time { return c.CreatedAt }),
		text(func(c *Click) string { return c.LandingURL }),
		text(func(c *Click) string { return c.Referrer }),
		text(func(c *Click) string { return c.UTMSource }),
		text(func(c *Click) string { return c.UTMMedium }),
		text(func(c *Click) string { return c.UTMCampaign }),
		text(func(c *Click) string { return c.UTMTerm }),
		text(func(c *Click) string { return c.UTMContent }),
		text(func(c *Click) string { return c.UserAgent }),
		text(func(c *Click) string { return c.Device }),
		byteaArray(clicks, func(c *Click) []byte { return c.VisitorHash }),
		text(func(c *Click) string { return c.CookieCID }),
	}
}

// visitCTEs are the batch as rows numbered in input order ("input"), each
// with its tenant-local day ("visit": day, day_start, day_end). The
// timezone is looked up once per tenant.
const visitCTEs = `input AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[], $15::text[])
			WITH ORDINALITY AS i(id, tenant_id, affiliate_id, created_at, landing_url, referrer,
				utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash, cookie_cid, ord)
	), tz AS MATERIALIZED (
		SELECT t.tenant_id, rollup_timezone(t.tenant_id) AS tz FROM (SELECT DISTINCT tenant_id FROM input) t
	), visit AS (
		SELECT i.*, d.day, d.day::timestamp AT TIME ZONE z.tz AS day_start, (d.day + 1)::timestamp AT TIME ZONE z.tz AS day_end
		FROM input i JOIN tz z ON z.tenant_id = i.tenant_id
		CROSS JOIN LATERAL (SELECT (i.created_at AT TIME ZONE z.tz)::date AS day) d
	)`

// visitorProbe reads, through clicks_visitor, the visitor's clicks of the
// tenant from lower on ("v" is the visit) and answers whether any of them
// falls on the visit's local day for the tenant (seen_tenant) and for the
// affiliate (seen_affiliate): a new click counts as unique only when not.
// %s adds columns. Appending an empty string to c.tenant_id keeps the probe
// off the tenant indexes whatever the statistics say: that plan reads every
// click of the tenant in the range.
const visitorProbe = `SELECT %s
			coalesce(bool_or(c.created_at >= v.day_start AND c.created_at < v.day_end), false) AS seen_tenant,
			coalesce(bool_or(c.affiliate_id = v.affiliate_id AND c.created_at >= v.day_start AND c.created_at < v.day_end), false) AS seen_affiliate
		FROM clicks c
		WHERE c.visitor_hash = v.visitor_hash AND (c.tenant_id || '') = v.tenant_id AND c.created_at >= %s`

// recordClicksSQL resolves a batch of visits in one statement. Each visit
// gets its earlier click within the repeat window, by the cookie's id
// through the primary key, else by one probe of the visitor's clicks since
// the start of the local day (or of the window, if earlier), which also
// tells whether the visitor was already counted that day. The visits
// without an earlier click are grouped by tenant, affiliate and visitor,
// the first of each group becoming a new click; the new clicks are
// inserted and rolled up (rollupCTEs), and every visit's click comes back
// by input position.
var recordClicksSQL = `WITH ` + visitCTEs + `, found AS (
		SELECT v.ord, coalesce(k.id, p.id) AS old_id, coalesce(k.created_at, p.created_at) AS old_created_at,
			p.seen_tenant, p.seen_affiliate
		FROM visit v
		LEFT JOIN LATERAL (
			SELECT c.id, c.created_at FROM clicks c
			WHERE v.cookie_cid <> '' AND c.id = v.cookie_cid AND c.tenant_id = v.tenant_id
				AND c.affiliate_id = v.affiliate_id AND c.created_at > v.created_at - $17::interval
			LIMIT 1 -- a probe per visit (primary key), never a join over clicks
		) k ON true
		LEFT JOIN LATERAL (` + fmt.Sprintf(visitorProbe,
	`(array_agg(c.id ORDER BY c.created_at DESC) FILTER (WHERE c.affiliate_id = v.affiliate_id AND c.created_at > v.created_at - $17::interval))[1] AS id,
			max(c.created_at) FILTER (WHERE c.affiliate_id = v.affiliate_id AND c.created_at > v.created_at - $17::interval) AS created_at,`,
	`least(v.day_start, v.created_at - $17::interval) AND k.id IS NULL`) + `
		) p ON true
	), fresh AS (
		SELECT DISTINCT ON (v.tenant_id, v.affiliate_id, v.visitor_hash) v.*, f.seen_tenant, f.seen_affiliate
		FROM visit v JOIN found f ON f.ord = v.ord
		WHERE f.old_id IS NULL
		ORDER BY v.tenant_id, v.affiliate_id, v.visitor_hash, v.ord
	), ` + rollupCTEs + `
	SELECT f.ord, coalesce(f.old_id, n.id), coalesce(f.old_created_at, n.created_at)
	FROM found f JOIN input i ON i.ord = f.ord
	LEFT JOIN fresh n ON f.old_id IS NULL AND n.tenant_id = i.tenant_id AND n.affiliate_id = i.affiliate_id
		AND n.visitor_hash = i.visitor_hash`

// insertClicksSQL inserts every click of the batch as given, each checked
// against the visitor's clicks of its day for the uniques.
var insertClicksSQL = `WITH ` + visitCTEs + `, fresh AS (
		SELECT v.*, p.seen_tenant, p.seen_affiliate FROM visit v
		CROSS JOIN LATERAL (` + fmt.Sprintf(visitorProbe, "", "v.day_start AND c.created_at < v.day_end") + `) p
	), ` + rollupCTEs + `
	SELECT count(*) FROM fresh`

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
// click. Only new clicks are inserted; they are rolled up (rollupCTEs) in
// the same transaction, into the rollup rows of shard (the batch writer's
// number: writers add to different rows, so their commits overlap).
//
// Before reading, the batch locks its visitors' buckets (VisitorBucket) per
// tenant until commit, so another batch with one of its visitors — of this
// process or another, routed alike or not — waits and then sees this
// batch's clicks: no second click within the window, no visitor counted
// twice in a day.
func (s *Store) RecordClicks(ctx context.Context, shard int, clicks []Click) ([]Click, error) {
	if len(clicks) == 0 {
		return nil, nil
	}
	args := append(clickArgs(clicks), shard, fmt.Sprintf("%d microseconds", RepeatWindow.Microseconds()))
	out := make([]Click, len(clicks))
	err := s.retryDeadlock(ctx, func(tx *sql.Tx) error {
		if err := s.lockClickBatch(ctx, tx, clicks); err != nil {
			return err
		}
		stmt, err := s.prepared(ctx, recordClicksSQL)
		if err != nil {
			return err
		}
		rows, err := tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("recording %d clicks: %w", len(clicks), err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var ord int
			var id string
			var at time.Time
			if err := rows.Scan(&ord, &id, &at); err != nil {
				return fmt.Errorf("recording %d clicks: %w", len(clicks), err)
			}
			if ord < 1 || ord > len(clicks) {
				return fmt.Errorf("recording clicks: position %d out of range", ord)
			}
			in := clicks[ord-1]
			if id == in.ID {
				out[ord-1] = in
			} else {
				out[ord-1] = Click{ID: id, TenantID: in.TenantID, AffiliateID: in.AffiliateID, CreatedAt: at}
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("recording %d clicks: %w", len(clicks), err)
		}
		if n != len(clicks) {
			return fmt.Errorf("recording clicks: %d answers for %d visits", n, len(clicks))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepared returns q prepared on s's pool: the click batch statement is
// parsed and planned once per connection instead of once per batch (about
// a millisecond each time). database/sql prepares it again on each new
// connection, and PostgreSQL re-plans it after a schema change.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if v, ok := s.stmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("preparing click statement: %w", err)
	}
	if v, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return v.(*sql.Stmt), nil
	}
	return st, nil
}

// retryDeadlock runs fn in a transaction (inTx), again when PostgreSQL
// broke a deadlock by aborting it. Click batches write their rows in key
// order and should never deadlock; this is the safety net, as a lost batch
// would fail a few hundred requests.
func (s *Store) retryDeadlock(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.inTx(ctx, fn)
		var pe *pq.Error
		if attempt >= 2 || !errors.As(err, &pe) || pe.Code != "40P01" {
			return err
		}
	}
}

// InsertClicks writes a batch of clicks as given (no repeat check: for
// imports, tools and tests), in one transaction with their daily rollups:
// either all are committed or none.
func (s *Store) InsertClicks(ctx context.Context, clicks []Click) error {
	if len(clicks) == 0 {
		return nil
	}
	args := append(clickArgs(clicks), 0)
	return s.retryDeadlock(ctx, func(tx *sql.Tx) error {
		if err := s.lockClickBatch(ctx, tx, clicks); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, insertClicksSQL, args...).Scan(&n); err != nil {
			return fmt.Errorf("inserting %d clicks: %w", len(clicks), err)
		}
		return nil
	})
}

const clickListColumns = `c.id, c.tenant_id, c.affiliate_id, c.created_at, c.landing_url, c.referrer,
	c.utm_source, c.utm_medium, c.utm_campaign, c.utm_term, c.utm_content, c.user_agent, c.device,
	coalesce((SELECT l.external_cid FROM customer_links l WHERE l.click_id = c.id ORDER BY l.created_at DESC, l.id DESC LIMIT 1), '')`

func scanClick(row interface{ Scan(...any) error }) (Click, error) {
	var c Click
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
func (s *Store) Clicks(ctx context.Context, tenantID string, f ClickFilter, p Page) ([]Click, error) {
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
	var out []Click
	for rows.Next() {
		c, err := scanClick(rows)
		if err != nil {
			return nil, fmt.Errorf("scanning click: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Click returns one of the tenant's clicks.
func (s *Store) Click(ctx context.Context, tenantID, id string) (Click, error) {
	c, err := scanClick(s.db.QueryRowContext(ctx, `SELECT `+clickListColumns+` FROM clicks c
		WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id))
	if err != nil {
		return Click{}, notFound(err, "no click %q", id)
	}
	return c, nil
}
