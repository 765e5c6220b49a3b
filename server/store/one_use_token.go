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
// it, in one transaction. A new invitation (or confirmation) retires the
// account's earlier live links of its purpose
// (tracklane.TokenPurpose.RetiresEarlier). mailed is false when m was not
// written because its recipient reached the cap on mails
// (enqueueCapped): the link is stored all the same (the dashboard shows an
// invitation's link to copy).
func (s *Store) CreateOneUseToken(ctx context.Context, t tracklane.OneUseToken, m *mail.Message) (mailed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertOneUseToken(ctx, tx, t); err != nil {
			return err
		}
		if m == nil {
			return nil
		}
		mailed, err = enqueueCapped(ctx, tx, *m)
		return err
	})
	return mailed, err
}

// insertOneUseToken stores t in tx, sweeping links expired for a day and
// retiring the account's earlier live links of t's purpose when a new one
// replaces them.
func insertOneUseToken(ctx context.Context, tx *sql.Tx, t tracklane.OneUseToken) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM one_use_tokens WHERE expires_at < $1`, t.CreatedAt.Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("sweeping links: %w", err)
	}
	aff, user := tokenAccount(t)
	if t.Purpose.RetiresEarlier() {
		if _, err := tx.ExecContext(ctx, `UPDATE one_use_tokens SET used_at = $4
			WHERE used_at IS NULL AND tenant_id = $1 AND purpose = $5
				AND (affiliate_id = $2 OR user_id = $3)`, t.TenantID, aff, user, t.CreatedAt, string(t.Purpose)); err != nil {
			return fmt.Errorf("retiring earlier links: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO one_use_tokens (token_hash, purpose, tenant_id, affiliate_id, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.Hash, string(t.Purpose), t.TenantID, aff, user, t.CreatedAt, t.ExpiresAt); err != nil {
		return fmt.Errorf("inserting link: %w", err)
	}
	return nil
}

// tokenAccount is the account columns of a link: the affiliate's id or
// the user's, the other NULL.
func tokenAccount(t tracklane.OneUseToken) (affiliateID, userID any) {
	if t.AffiliateID != "" {
		affiliateID = t.AffiliateID
	}
	if t.UserID != 0 {
		userID = t.UserID
	}
	return affiliateID, userID
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
// it is for, in one transaction: the affiliate's or the user's. Every
// other live link of that account is retired and its sessions end (SPEC
// section 14). A link unknown, used or expired → ErrLinkGone, nothing
// changes.
func (s *Store) UseOneUseToken(ctx context.Context, hash []byte, purpose tracklane.TokenPurpose, now time.Time, passwordHash string) (tracklane.OneUseToken, error) {
	var t tracklane.OneUseToken
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = spendOneUseToken(ctx, tx, hash, purpose, now); err != nil {
			return err
		}
		if t.AffiliateID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE affiliates SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`,
				t.TenantID, t.AffiliateID, passwordHash); err != nil {
				return fmt.Errorf("setting password: %w", err)
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`,
			t.TenantID, t.UserID, passwordHash); err != nil {
			return fmt.Errorf("setting password: %w", err)
		}
		return retireAccount(ctx, tx, t, nil, now)
	})
	if err != nil {
		return tracklane.OneUseToken{}, err
	}
	return t, nil
}

// ConfirmAffiliateEmail spends a confirm_email link: its affiliate's
// address is confirmed (EmailUnconfirmed false) and, when activate (the
// program still approves automatically), a pending affiliate becomes
// active; its other links are retired and its sessions end, as with any
// link. It returns the affiliate after the change. A link unknown, used or
// expired → ErrLinkGone, nothing changes.
func (s *Store) ConfirmAffiliateEmail(ctx context.Context, hash []byte, now time.Time, activate bool) (tracklane.Affiliate, error) {
	var out tracklane.Affiliate
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := spendOneUseToken(ctx, tx, hash, tracklane.PurposeConfirmEmail, now)
		if err != nil {
			return err
		}
		if out, err = scanAffiliate(tx.QueryRowContext(ctx, `UPDATE affiliates SET email_unconfirmed = false,
				status = CASE WHEN status = 'pending' AND $3 THEN 'active' ELSE status END
			WHERE tenant_id = $1 AND id = $2 RETURNING `+affiliateColumns, t.TenantID, t.AffiliateID, activate)); err != nil {
			return fmt.Errorf("confirming the affiliate's email: %w", err)
		}
		return retireAccount(ctx, tx, t, nil, now)
	})
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return out, nil
}

// spendOneUseToken marks the live link of this purpose used at now, in tx,
// and returns it; ErrLinkGone when it is unknown, used or expired.
func spendOneUseToken(ctx context.Context, tx *sql.Tx, hash []byte, purpose tracklane.TokenPurpose, now time.Time) (tracklane.OneUseToken, error) {
	t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM one_use_tokens
		WHERE token_hash = $1 AND purpose = $2 FOR UPDATE`, hash, string(purpose)))
	if err == sql.ErrNoRows || (err == nil && (t.UsedAt != nil || !now.Before(t.ExpiresAt))) {
		return tracklane.OneUseToken{}, ErrLinkGone
	}
	if err != nil {
		return tracklane.OneUseToken{}, fmt.Errorf("reading link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE one_use_tokens SET used_at = $2 WHERE token_hash = $1`, hash, now); err != nil {
		return tracklane.OneUseToken{}, fmt.Errorf("spending link: %w", err)
	}
	return t, nil
}

// retireAccount retires every live one-use link of the account acct names
// (its affiliate or user; its other fields are ignored) and ends the
// account's sessions but the one whose id hash is keep (nil: all), in tx:
// what a used link, a password set or a password changed does (SPEC
// section 14).
func retireAccount(ctx context.Context, tx *sql.Tx, acct tracklane.OneUseToken, keep []byte, now time.Time) error {
	aff, user := tokenAccount(acct)
	if _, err := tx.ExecContext(ctx, `UPDATE one_use_tokens SET used_at = $4
		WHERE used_at IS NULL AND tenant_id = $1 AND (affiliate_id = $2 OR user_id = $3)`, acct.TenantID, aff, user, now); err != nil {
		return fmt.Errorf("retiring the account's links: %w", err)
	}
	k, owner := PortalSessions, SessionOwner{TenantID: acct.TenantID, AffiliateID: acct.AffiliateID, UserID: acct.UserID}
	if acct.AffiliateID == "" {
		k = DashboardSessions
	}
	table, ownerColumn, ownerID, err := k.table(owner)
	if err != nil {
		return err
	}
	var kept any // NULL, not an empty bytea, when no session is kept
	if keep != nil {
		kept = keep
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND `+ownerColumn+` = $2
		AND ($3::bytea IS NULL OR id_hash <> $3)`, acct.TenantID, ownerID, kept); err != nil {
		return fmt.Errorf("ending the account's %ss: %w", k, err)
	}
	return nil
}
