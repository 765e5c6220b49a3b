package store

import (
	"context"
	"database/sql"
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
}

// InsertClicks writes a batch of clicks in one statement and one
// transaction, together with their daily rollups: either all are committed
// or none.
func (s *Store) InsertClicks(ctx context.Context, clicks []Click) error {
	if len(clicks) == 0 {
		return nil
	}
	n := len(clicks)
	var (
		ids, tenants, affs, created, landing, ref = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		src, med, camp, term, content, ua, device = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		visitors                                  = make(pq.ByteaArray, n)
	)
	for i, c := range clicks {
		ids[i], tenants[i], affs[i] = c.ID, c.TenantID, c.AffiliateID
		created[i] = c.CreatedAt.UTC().Format(time.RFC3339Nano)
		landing[i], ref[i] = c.LandingURL, c.Referrer
		src[i], med[i], camp[i], term[i], content[i] = c.UTMSource, c.UTMMedium, c.UTMCampaign, c.UTMTerm, c.UTMContent
		ua[i], device[i], visitors[i] = c.UserAgent, c.Device, c.VisitorHash
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockRollupsShared(ctx, tx, tenants); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO clicks (id, tenant_id, affiliate_id, created_at, landing_url, referrer,
			utm_source, utm_medium, utm_campaign, utm_term, utm_content, user_agent, device, visitor_hash)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[])`,
			pq.Array(ids), pq.Array(tenants), pq.Array(affs), pq.Array(created), pq.Array(landing), pq.Array(ref),
			pq.Array(src), pq.Array(med), pq.Array(camp), pq.Array(term), pq.Array(content), pq.Array(ua), pq.Array(device), visitors)
		if err != nil {
			return fmt.Errorf("inserting %d clicks: %w", n, err)
		}
		// The dashboard's daily totals move in the same transaction, so
		// they never disagree with the committed clicks.
		return rollupClicks(ctx, tx, ids)
	})
}

// RepeatClick finds the click a repeat visit should reuse: the tenant's
// click for this affiliate since `since` that has id cid (the browser's
// cookie) or else the newest one with this visitor hash. ok is false when
// there is none.
func (s *Store) RepeatClick(ctx context.Context, tenantID, affiliateID, cid string, visitor []byte, since time.Time) (c Click, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT id, created_at FROM clicks
		WHERE tenant_id = $1 AND affiliate_id = $2 AND created_at > $3 AND (id = $4 OR visitor_hash = $5)
		ORDER BY (id = $4) DESC, created_at DESC LIMIT 1`, tenantID, affiliateID, since, cid, visitor).Scan(&c.ID, &c.CreatedAt)
	if err == sql.ErrNoRows {
		return Click{}, false, nil
	}
	if err != nil {
		return Click{}, false, fmt.Errorf("looking for a repeat click: %w", err)
	}
	c.TenantID, c.AffiliateID = tenantID, affiliateID
	return c, true, nil
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
