package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PortalVisitorKeep is how long a portal browser's day is kept: the flag
// it feeds is raised when an email is linked, the same day, so a longer
// keep only serves the merchant looking back at a dispute.
const PortalVisitorKeep = 90 * 24 * time.Hour

// RecordPortalVisitor notes that the tenant's affiliate used the browser
// with this keyed visitor hash for the portal on now's UTC day (a second
// note of the same day changes nothing), and deletes the tenant's notes
// older than PortalVisitorKeep.
func (s *Store) RecordPortalVisitor(ctx context.Context, tenantID, affiliateID string, visitor []byte, now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_visitors (tenant_id, affiliate_id, visitor_hash, day)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, tenantID, affiliateID, visitor, day); err != nil {
			return fmt.Errorf("recording portal visitor: %w", err)
		}
		before := now.Add(-PortalVisitorKeep).UTC().Format(time.DateOnly)
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_visitors WHERE tenant_id = $1 AND day < $2`, tenantID, before); err != nil {
			return fmt.Errorf("sweeping portal visitors: %w", err)
		}
		return nil
	})
}
