package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Link ties a customer identifier (a normalised email) to a click.
type Link struct {
	ID              int64
	TenantID        string
	ExternalCID     string
	ClickID         string
	ClickCreatedAt  time.Time
	AffiliateID     string
	RevenueOriginID string
	CreatedAt       time.Time
}

// CreateLink links externalCID to the tenant's click cid. A cid that is not
// the tenant's → not_found; an origin of another tenant → unprocessable; an
// empty origin → the tenant's default.
func (s *Store) CreateLink(ctx context.Context, tenantID, cid, externalCID, originID string) (Link, error) {
	l := Link{TenantID: tenantID, ClickID: cid, ExternalCID: externalCID}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT created_at, affiliate_id FROM clicks WHERE tenant_id = $1 AND id = $2`,
			tenantID, cid).Scan(&l.ClickCreatedAt, &l.AffiliateID)
		if err != nil {
			return notFound(err, "no click %q for this tenant", cid)
		}
		if l.RevenueOriginID, err = resolveOrigin(ctx, tx, tenantID, originID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO customer_links (tenant_id, external_cid, click_id, click_created_at, revenue_origin_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
			tenantID, externalCID, cid, l.ClickCreatedAt, l.RevenueOriginID, s.Now()).Scan(&l.ID, &l.CreatedAt)
		if err != nil {
			return fmt.Errorf("inserting link: %w", err)
		}
		return nil
	})
	return l, err
}

// AttributableLink returns the link that attributes a payment at paidAt by
// externalCID: the one to the newest click made in [paidAt − window,
// paidAt]. ok is false when there is none.
func (s *Store) AttributableLink(ctx context.Context, tenantID, externalCID string, paidAt time.Time, window time.Duration) (l Link, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT l.id, l.click_id, l.click_created_at, c.affiliate_id, l.revenue_origin_id, l.created_at
		FROM customer_links l JOIN clicks c ON c.id = l.click_id
		WHERE l.tenant_id = $1 AND l.external_cid = $2 AND l.click_created_at <= $3 AND l.click_created_at >= $4
		ORDER BY l.click_created_at DESC, l.id DESC LIMIT 1`,
		tenantID, externalCID, paidAt, paidAt.Add(-window)).Scan(&l.ID, &l.ClickID, &l.ClickCreatedAt, &l.AffiliateID, &l.RevenueOriginID, &l.CreatedAt)
	if err == sql.ErrNoRows {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("finding a link for attribution: %w", err)
	}
	l.TenantID, l.ExternalCID = tenantID, externalCID
	return l, true, nil
}

// TenantExists reports whether a tenant id is known.
func (s *Store) TenantExists(ctx context.Context, tenantID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenantID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("checking tenant: %w", err)
	}
	return ok, nil
}
