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

// Session is a signed-in dashboard session with who it belongs to.
type Session struct {
	IDHash     []byte
	UserID     int64
	TenantID   string
	Email      string
	TenantName string
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session under the hash of its id. Expired
// sessions are swept at the same time: logins are rare, so this is the
// cheapest moment to keep the table small.
func (s *Store) CreateSession(ctx context.Context, idHash []byte, u tracklane.User, now, expires time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now); err != nil {
			return fmt.Errorf("sweeping sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, tenant_id, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5)`, idHash, u.ID, u.TenantID, now, expires); err != nil {
			return fmt.Errorf("inserting session: %w", err)
		}
		return nil
	})
}

// SessionByHash returns the live session with this id hash; unauthorized
// when there is none or it has expired.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte, now time.Time) (Session, error) {
	ss := Session{IDHash: idHash}
	err := s.db.QueryRowContext(ctx, `SELECT s.user_id, s.tenant_id, u.email, t.name, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id
		WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, now).
		Scan(&ss.UserID, &ss.TenantID, &ss.Email, &ss.TenantName, &ss.LastSeenAt, &ss.ExpiresAt)
	if err == sql.ErrNoRows {
		return Session{}, apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	if err != nil {
		return Session{}, fmt.Errorf("reading session: %w", err)
	}
	return ss, nil
}

// TouchSession extends a session that is in use.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, now, expires time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1`,
		idHash, now, expires); err != nil {
		return fmt.Errorf("extending session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout); ending one that is gone is fine.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}
