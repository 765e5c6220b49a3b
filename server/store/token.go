package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

func insertToken(ctx context.Context, tx *sql.Tx, tenantID, name string, hash []byte, hint string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO personal_tokens (tenant_id, name, token_hash, hint) VALUES ($1, $2, $3, $4)`,
		tenantID, name, hash, hint); err != nil {
		return fmt.Errorf("inserting personal token: %w", err)
	}
	return nil
}

// CreatePersonalToken stores a new token's hash for the tenant.
func (s *Store) CreatePersonalToken(ctx context.Context, tenantID, name string, hash []byte, hint string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var ok bool
		if err := tx.QueryRowContext(ctx, `SELECT true FROM tenants WHERE id = $1`, tenantID).Scan(&ok); err != nil {
			return notFound(err, "no tenant %q", tenantID)
		}
		return insertToken(ctx, tx, tenantID, name, hash, hint)
	})
}

// PersonalTokenByHash returns the token stored under hash, revoked or not;
// not_found when there is none.
func (s *Store) PersonalTokenByHash(ctx context.Context, hash []byte) (tracklane.PersonalToken, error) {
	var t tracklane.PersonalToken
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, name, hint, created_at, last_used_at, revoked_at
		FROM personal_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.TenantID, &t.Name, &t.Hint, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if err == sql.ErrNoRows {
		return tracklane.PersonalToken{}, apperr.Errorf(apperr.NotFound, "no such token")
	}
	if err != nil {
		return tracklane.PersonalToken{}, fmt.Errorf("looking up token: %w", err)
	}
	return t, nil
}

// RecordTokenUse sets when a token was last used.
func (s *Store) RecordTokenUse(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE personal_tokens SET last_used_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("recording token use: %w", err)
	}
	return nil
}

// PersonalTokens lists a tenant's tokens, newest first, revoked included.
func (s *Store) PersonalTokens(ctx context.Context, tenantID string) ([]tracklane.PersonalToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id, name, hint, created_at, last_used_at, revoked_at
		FROM personal_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "token", func(row scanner) (tracklane.PersonalToken, error) {
		var t tracklane.PersonalToken
		err := row.Scan(&t.ID, &t.TenantID, &t.Name, &t.Hint, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
		return t, err
	})
}

// RevokePersonalToken revokes one of the tenant's tokens; not_found when the
// tenant has no such token.
func (s *Store) RevokePersonalToken(ctx context.Context, tenantID string, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE personal_tokens SET revoked_at = coalesce(revoked_at, $3)
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, s.Now())
	if err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.Errorf(apperr.NotFound, "no such token")
	}
	return nil
}
