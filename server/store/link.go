package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/tracklane"
)

// CreateLink links externalCID to the tenant's click cid. A cid that is not
// the tenant's → not_found; an origin of another tenant → unprocessable; an
// empty origin → the tenant's default.
func (s *Store) CreateLink(ctx context.Context, tenantID, cid, externalCID, originID string) (tracklane.Link, error) {
	l := tracklane.Link{TenantID: tenantID, ClickID: cid, ExternalCID: externalCID}
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

// TenantExists reports whether a tenant id is known.
func (s *Store) TenantExists(ctx context.Context, tenantID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenantID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("checking tenant: %w", err)
	}
	return ok, nil
}
