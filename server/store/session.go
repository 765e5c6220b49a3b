package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// UserByEmail finds a user by (normalised) email; not_found when none.
func (s *Store) UserByEmail(ctx context.Context, email string) (tracklane.User, error) {
	var u tracklane.User
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, email, password_hash FROM users WHERE email = $1`, email).
		Scan(&u.ID, &u.TenantID, &u.Email, &u.PasswordHash)
	if err != nil {
		return tracklane.User{}, notFound(err, "no user %q", email)
	}
	return u, nil
}

// SessionKind is a kind of sign-in session. Each kind has its own table,
// so a session of one kind never opens the pages of the other; the tables
// differ only in whom a session signs in.
type SessionKind int

const (
	// DashboardSessions sign a merchant's user in to the dashboard (table
	// sessions).
	DashboardSessions SessionKind = iota + 1
	// PortalSessions sign an affiliate in to a program's portal (table
	// affiliate_sessions).
	PortalSessions
)

// String names the kind in errors and logs.
func (k SessionKind) String() string {
	switch k {
	case DashboardSessions:
		return "session"
	case PortalSessions:
		return "portal session"
	}
	return fmt.Sprintf("session kind %d", int(k))
}

// table returns the kind's table, its owner's id column and o's id for
// that column.
func (k SessionKind) table(o SessionOwner) (table, ownerColumn string, ownerID any, err error) {
	switch k {
	case DashboardSessions:
		return "sessions", "user_id", o.UserID, nil
	case PortalSessions:
		return "affiliate_sessions", "affiliate_id", o.AffiliateID, nil
	}
	return "", "", nil, fmt.Errorf("unknown %s", k)
}

// SessionOwner is whom a new session signs in: one of TenantID's users
// (DashboardSessions) or affiliates (PortalSessions).
type SessionOwner struct {
	TenantID    string
	UserID      int64
	AffiliateID string
}

// SessionState is what a session of any kind has: the hash of its id (the
// browser holds the id itself), when it was last used and when it expires
// unless used again.
type SessionState struct {
	IDHash     []byte
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// State returns the part every kind has, for code that handles sessions
// of any kind (package signin).
func (s SessionState) State() SessionState { return s }

// Session is a signed-in dashboard session with who it belongs to.
type Session struct {
	SessionState
	UserID     int64
	TenantID   string
	Email      string
	TenantName string
}

// CreateSession stores a new session of kind k under the hash of its id.
// Expired sessions of the kind are swept at the same time: logins are
// rare, so this is the cheapest moment to keep the table small.
func (s *Store) CreateSession(ctx context.Context, k SessionKind, idHash []byte, o SessionOwner, now, expires time.Time) error {
	table, ownerColumn, ownerID, err := k.table(o)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("sweeping %ss: %w", k, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (id_hash, tenant_id, `+ownerColumn+`, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5)`, idHash, o.TenantID, ownerID, now, expires); err != nil {
			return fmt.Errorf("inserting %s: %w", k, err)
		}
		return nil
	})
}

// SessionByHash returns the live dashboard session with this id hash;
// unauthorized when there is none or it has expired.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte, now time.Time) (Session, error) {
	ss := Session{SessionState: SessionState{IDHash: idHash}}
	err := s.db.QueryRowContext(ctx, `SELECT s.user_id, s.tenant_id, u.email, t.name, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id
		WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, now).
		Scan(&ss.UserID, &ss.TenantID, &ss.Email, &ss.TenantName, &ss.LastSeenAt, &ss.ExpiresAt)
	if err != nil {
		return Session{}, sessionReadErr(DashboardSessions, err)
	}
	return ss, nil
}

// sessionReadErr is the error of a failed session read: unauthorized when
// no live session matched, else the database's error.
func sessionReadErr(k SessionKind, err error) error {
	if err == sql.ErrNoRows {
		return apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	return fmt.Errorf("reading %s: %w", k, err)
}

// TouchSession extends a session of kind k that is in use.
func (s *Store) TouchSession(ctx context.Context, k SessionKind, idHash []byte, now, expires time.Time) error {
	table, _, _, err := k.table(SessionOwner{})
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1`,
		idHash, now, expires); err != nil {
		return fmt.Errorf("extending %s: %w", k, err)
	}
	return nil
}

// DeleteSession ends a session of kind k (logout); ending one that is gone
// is fine.
func (s *Store) DeleteSession(ctx context.Context, k SessionKind, idHash []byte) error {
	table, _, _, err := k.table(SessionOwner{})
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("deleting %s: %w", k, err)
	}
	return nil
}
