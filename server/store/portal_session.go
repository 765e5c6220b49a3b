package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// PortalSession is a signed-in affiliate portal session with who it
// belongs to, read fresh on every request: an affiliate no longer active
// has no session.
type PortalSession struct {
	IDHash     []byte
	Affiliate  tracklane.Affiliate
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreatePortalSession stores a new portal session of one of the tenant's
// affiliates under the hash of its id, sweeping expired ones.
func (s *Store) CreatePortalSession(ctx context.Context, idHash []byte, tenantID, affiliateID string, now, expires time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM affiliate_sessions WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("sweeping portal sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO affiliate_sessions (id_hash, tenant_id, affiliate_id, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5)`, idHash, tenantID, affiliateID, now, expires); err != nil {
			return fmt.Errorf("inserting portal session: %w", err)
		}
		return nil
	})
}

// PortalSessionByHash returns the live session with this id hash in the
// tenant's program, with its affiliate; unauthorized when there is none,
// it has expired, or its affiliate is not active.
func (s *Store) PortalSessionByHash(ctx context.Context, tenantID string, idHash []byte, now time.Time) (PortalSession, error) {
	ss := PortalSession{IDHash: idHash}
	row := s.db.QueryRowContext(ctx, `SELECT s.last_seen_at, s.expires_at, `+portalAffiliateColumns+`
		FROM affiliate_sessions s JOIN affiliates a ON a.tenant_id = s.tenant_id AND a.id = s.affiliate_id
		WHERE s.id_hash = $1 AND s.tenant_id = $2 AND s.expires_at > $3 AND a.status = 'active'`, idHash, tenantID, now)
	a, err := scanAffiliate(prefixed{row: row, first: []any{&ss.LastSeenAt, &ss.ExpiresAt}})
	if err == sql.ErrNoRows {
		return PortalSession{}, apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	if err != nil {
		return PortalSession{}, fmt.Errorf("reading portal session: %w", err)
	}
	ss.Affiliate = a
	return ss, nil
}

// TouchPortalSession extends a portal session that is in use.
func (s *Store) TouchPortalSession(ctx context.Context, idHash []byte, now, expires time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE affiliate_sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1`,
		idHash, now, expires); err != nil {
		return fmt.Errorf("extending portal session: %w", err)
	}
	return nil
}

// DeletePortalSession ends a portal session (logout).
func (s *Store) DeletePortalSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM affiliate_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("deleting portal session: %w", err)
	}
	return nil
}

// portalAffiliateColumns is affiliateColumns of the table aliased a.
var portalAffiliateColumns = aliasColumns("a", affiliateColumns)

// aliasColumns prefixes each column of a list with alias.
func aliasColumns(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
