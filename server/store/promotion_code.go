package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PromotionCode returns the cached customer-facing text of a Stripe
// promotion code ("" for one Stripe no longer has); found is false when it
// was never looked up. A promotion code's text never changes, so the cache
// is never invalidated.
func (s *Store) PromotionCode(ctx context.Context, accountID string, livemode bool, id string) (code string, found bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT code FROM stripe_promotion_codes
		WHERE account_id = $1 AND livemode = $2 AND promotion_code_id = $3`, accountID, livemode, id).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading promotion code: %w", err)
	}
	return code, true, nil
}

// SavePromotionCode caches a promotion code's text (folded; "" for a code
// Stripe no longer has).
func (s *Store) SavePromotionCode(ctx context.Context, accountID string, livemode bool, id, code string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO stripe_promotion_codes (account_id, livemode, promotion_code_id, code)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, accountID, livemode, id, code); err != nil {
		return fmt.Errorf("caching promotion code: %w", err)
	}
	return nil
}
