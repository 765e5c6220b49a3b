package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ErrLinkGone is the error for a one-use link that is unknown, used or
// expired: it changes nothing.
var ErrLinkGone = apperr.Errorf(apperr.Invalid, "this link has expired or was already used; ask for a new one")

// CreateOneUseToken stores a one-use link and writes the mail that carries
// it, in one transaction.
func (s *Store) CreateOneUseToken(ctx context.Context, t tracklane.OneUseToken, m *mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM one_use_tokens WHERE expires_at < $1`, t.CreatedAt.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("sweeping links: %w", err)
		}
		var aff, user any
		if t.AffiliateID != "" {
			aff = t.AffiliateID
		}
		if t.UserID != 0 {
			user = t.UserID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO one_use_tokens (token_hash, purpose, tenant_id, affiliate_id, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.Hash, string(t.Purpose), t.TenantID, aff, user, t.CreatedAt, t.ExpiresAt); err != nil {
			return fmt.Errorf("inserting link: %w", err)
		}
		if m != nil {
			return enqueueMail(ctx, tx, *m)
		}
		return nil
	})
}

func scanToken(row scanner) (tracklane.OneUseToken, error) {
	var t tracklane.OneUseToken
	var aff sql.NullString
	var user sql.NullInt64
	err := row.Scan(&t.Hash, &t.Purpose, &t.TenantID, &aff, &user, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt)
	t.AffiliateID, t.UserID = aff.String, user.Int64
	return t, err
}

const tokenColumns = `token_hash, purpose, tenant_id, affiliate_id, user_id, created_at, expires_at, used_at`

// LiveOneUseToken returns a link of this purpose that may still be used
// at now; ErrLinkGone otherwise.
func (s *Store) LiveOneUseToken(ctx context.Context, hash []byte, purpose tracklane.TokenPurpose, now time.Time) (tracklane.OneUseToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM one_use_tokens
		WHERE token_hash = $1 AND purpose = $2`, hash, string(purpose)))
	if err == sql.ErrNoRows || (err == nil && (t.UsedAt != nil || !now.Before(t.ExpiresAt))) {
		return tracklane.OneUseToken{}, ErrLinkGone
	}
	if err != nil {
		return tracklane.OneUseToken{}, fmt.Errorf("reading link: %w", err)
	}
	return t, nil
}

// UseOneUseToken spends a link of this purpose and sets the password hash
// it is for, in one transaction: the affiliate's or the user's, ending
// their sessions. A link unknown, used or expired → ErrLinkGone, nothing
// changes.
func (s *Store) UseOneUseToken(ctx context.Context, hash []byte, purpose tracklane.TokenPurpose, now time.Time, passwordHash string) (tracklane.OneUseToken, error) {
	var t tracklane.OneUseToken
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM one_use_tokens
			WHERE token_hash = $1 AND purpose = $2 FOR UPDATE`, hash, string(purpose)))
		if err == sql.ErrNoRows || (err == nil && (t.UsedAt != nil || !now.Before(t.ExpiresAt))) {
			return ErrLinkGone
		}
		if err != nil {
			return fmt.Errorf("reading link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE one_use_tokens SET used_at = $2 WHERE token_hash = $1`, hash, now); err != nil {
			return fmt.Errorf("spending link: %w", err)
		}
		if t.AffiliateID != "" {
			return setAffiliatePasswordTx(ctx, tx, t.TenantID, t.AffiliateID, passwordHash)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`, t.TenantID, t.UserID, passwordHash); err != nil {
			return fmt.Errorf("setting password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, t.UserID); err != nil {
			return fmt.Errorf("ending sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return tracklane.OneUseToken{}, err
	}
	return t, nil
}

func setAffiliatePasswordTx(ctx context.Context, tx *sql.Tx, tenantID, id, hash string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE affiliates SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, hash); err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM affiliate_sessions WHERE tenant_id = $1 AND affiliate_id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("ending sessions: %w", err)
	}
	return nil
}
