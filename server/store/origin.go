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
	return scanAll(rows, "revenue origin", func(row scanner) (tracklane.RevenueOrigin, error) {
		var o tracklane.RevenueOrigin
		err := row.Scan(&o.ID, &o.TenantID, &o.Name, &o.IsDefault, &o.CreatedAt)
		return o, err
	})
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

// chooseOrigin applies tracklane.ChooseOrigin to the origin a link or a
// reported conversion names: "" stands for the tenant's default, which
// the insert resolves (originOrDefault); another tenant's → unprocessable.
func chooseOrigin(ctx context.Context, q queryer, tenantID, named string) (string, error) {
	if named == "" {
		return "", nil // nothing to look up: the default
	}
	var owner string
	err := q.QueryRowContext(ctx, `SELECT tenant_id FROM revenue_origins WHERE id = $1`, named).Scan(&owner)
	if err != nil && err != sql.ErrNoRows {
		return "", fmt.Errorf("checking revenue origin: %w", err)
	}
	id, ok := tracklane.ChooseOrigin(tenantID, named, owner)
	if !ok {
		return "", apperr.Errorf(apperr.Unprocessable, "revenueOriginId %q is not one of this tenant's revenue origins", named)
	}
	return id, nil
}

// originOrDefault is the SQL of the origin id to store: the chosen one in
// parameter origin or, when that is empty, the default origin of the
// tenant in parameter tenant.
func originOrDefault(origin, tenant string) string {
	return `coalesce(nullif(` + origin + `, ''), (SELECT o.id FROM revenue_origins o WHERE o.tenant_id = ` + tenant + ` AND o.is_default))`
}
