package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

func stringArray(ids []string) any { return pq.Array(ids) }

// AffiliatesByID returns the tenant's affiliates among ids, keyed by id
// (to name the affiliates of a page of clicks or conversions); ids of other
// tenants are simply absent.
func (s *Store) AffiliatesByID(ctx context.Context, tenantID string, ids []string) (map[string]tracklane.Affiliate, error) {
	out := make(map[string]tracklane.Affiliate, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates WHERE tenant_id = $1 AND id = ANY($2)`,
		tenantID, stringArray(ids))
	if err != nil {
		return nil, fmt.Errorf("reading affiliates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAffiliate(rows)
		if err != nil {
			return nil, fmt.Errorf("scanning affiliate: %w", err)
		}
		out[a.ID] = a
	}
	return out, rows.Err()
}

// AffiliateOptions lists up to limit of the tenant's affiliates by name,
// for filter menus.
func (s *Store) AffiliateOptions(ctx context.Context, tenantID string, limit int) ([]tracklane.Affiliate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates WHERE tenant_id = $1
		ORDER BY lower(name), id LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing affiliates: %w", err)
	}
	defer rows.Close()
	var out []tracklane.Affiliate
	for rows.Next() {
		a, err := scanAffiliate(rows)
		if err != nil {
			return nil, fmt.Errorf("scanning affiliate: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LatestClick returns the affiliate's newest click made at or after since
// (the integration test page waits for it); ok is false when there is none.
func (s *Store) LatestClick(ctx context.Context, tenantID, affiliateID string, since time.Time) (c tracklane.Click, ok bool, err error) {
	c, err = scanClick(s.db.QueryRowContext(ctx, `SELECT `+clickListColumns+` FROM clicks c
		WHERE c.tenant_id = $1 AND c.affiliate_id = $2 AND c.created_at >= $3
		ORDER BY c.created_at DESC, c.id DESC LIMIT 1`, tenantID, affiliateID, since))
	if err != nil {
		if isNoRows(err) {
			return tracklane.Click{}, false, nil
		}
		return tracklane.Click{}, false, fmt.Errorf("reading latest click: %w", err)
	}
	return c, true, nil
}

// LatestLink returns the newest email link made at or after since to a
// click of the affiliate; ok is false when there is none.
func (s *Store) LatestLink(ctx context.Context, tenantID, affiliateID string, since time.Time) (l tracklane.Link, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT l.id, l.external_cid, l.click_id, l.click_created_at, c.affiliate_id,
			l.revenue_origin_id, l.created_at
		FROM customer_links l JOIN clicks c ON c.id = l.click_id
		WHERE l.tenant_id = $1 AND l.created_at >= $3 AND c.tenant_id = $1 AND c.affiliate_id = $2
		ORDER BY l.created_at DESC, l.id DESC LIMIT 1`, tenantID, affiliateID, since).
		Scan(&l.ID, &l.ExternalCID, &l.ClickID, &l.ClickCreatedAt, &l.AffiliateID, &l.RevenueOriginID, &l.CreatedAt)
	if err != nil {
		if isNoRows(err) {
			return tracklane.Link{}, false, nil
		}
		return tracklane.Link{}, false, fmt.Errorf("reading latest link: %w", err)
	}
	l.TenantID = tenantID
	return l, true, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
