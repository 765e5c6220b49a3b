package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// RevenueOrigins lists a tenant's origins, the default first.
func (s *Store) RevenueOrigins(ctx context.Context, tenantID string) ([]tracklane.RevenueOrigin, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id, name, is_default, created_at FROM revenue_origins
		WHERE tenant_id = $1 ORDER BY is_default DESC, created_at`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("listing revenue origins: %w", err)
	}
	defer rows.Close()
	var out []tracklane.RevenueOrigin
	for rows.Next() {
		var o tracklane.RevenueOrigin
		if err := rows.Scan(&o.ID, &o.TenantID, &o.Name, &o.IsDefault, &o.CreatedAt); err != nil {
			return nil, fmt.Errorf("scanning revenue origin: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateRevenueOrigin adds a named origin to a tenant.
func (s *Store) CreateRevenueOrigin(ctx context.Context, tenantID, id, name string) (tracklane.RevenueOrigin, error) {
	o := tracklane.RevenueOrigin{ID: id, TenantID: tenantID, Name: name}
	err := s.db.QueryRowContext(ctx, `INSERT INTO revenue_origins (id, tenant_id, name) VALUES ($1, $2, $3) RETURNING created_at`,
		id, tenantID, name).Scan(&o.CreatedAt)
	if err != nil {
		return tracklane.RevenueOrigin{}, fmt.Errorf("inserting revenue origin: %w", err)
	}
	return o, nil
}

// resolveOrigin returns the origin id to record for a link: the given one if
// it is the tenant's (unprocessable otherwise), or the tenant's default.
func resolveOrigin(ctx context.Context, tx *sql.Tx, tenantID, originID string) (string, error) {
	if originID == "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM revenue_origins WHERE tenant_id = $1 AND is_default`, tenantID).Scan(&originID)
		if err != nil {
			return "", fmt.Errorf("finding the default revenue origin: %w", err)
		}
		return originID, nil
	}
	var ok bool
	err := tx.QueryRowContext(ctx, `SELECT true FROM revenue_origins WHERE tenant_id = $1 AND id = $2`, tenantID, originID).Scan(&ok)
	if err == sql.ErrNoRows {
		return "", apperr.Errorf(apperr.Unprocessable, "revenueOriginId %q is not one of this tenant's revenue origins", originID)
	}
	if err != nil {
		return "", fmt.Errorf("checking revenue origin: %w", err)
	}
	return originID, nil
}
