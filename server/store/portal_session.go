package store

import (
	"context"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// PortalSession is a signed-in affiliate portal session with who it
// belongs to, read fresh on every request: an affiliate no longer active
// has no session.
type PortalSession struct {
	SessionState
	Affiliate tracklane.Affiliate
}

// PortalSessionByHash returns the live session with this id hash in the
// tenant's program, with its affiliate; unauthorized when there is none,
// it has expired, or its affiliate is not active.
func (s *Store) PortalSessionByHash(ctx context.Context, tenantID string, idHash []byte, now time.Time) (PortalSession, error) {
	ss := PortalSession{SessionState: SessionState{IDHash: idHash}}
	row := s.db.QueryRowContext(ctx, `SELECT s.last_seen_at, s.expires_at, `+portalAffiliateColumns+`
		FROM affiliate_sessions s JOIN affiliates a ON a.tenant_id = s.tenant_id AND a.id = s.affiliate_id
		WHERE s.id_hash = $1 AND s.tenant_id = $2 AND s.expires_at > $3 AND a.status = 'active'`, idHash, tenantID, now)
	a, err := scanAffiliate(prefixed{row: row, first: []any{&ss.LastSeenAt, &ss.ExpiresAt}})
	if err != nil {
		return PortalSession{}, sessionReadErr(PortalSessions, err)
	}
	ss.Affiliate = a
	return ss, nil
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
