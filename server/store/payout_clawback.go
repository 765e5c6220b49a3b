package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/payout"
)

// recordClawbacks brings the clawback ledger of the given conversions up
// to date after their commission or status changed, inside the same
// transaction (tx holds their row locks from the change). For each
// conversion whose commission a paid payout paid (paid_commission), the
// payout rule says what to record (payout.Clawback: the entries sum to
// min(0, earned now − paid)) and how to word it from the conversion's new
// state (payout.ClawbackReason); the entry is open until a payout takes
// it.
//
// Every statement that changes a conversion's commission or status must
// call this in its transaction; states[i] is ids[i]'s new state (the last
// one counts when an id comes twice).
func recordClawbacks(ctx context.Context, tx *sql.Tx, tenantID string, ids []string, states []conversion.State, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	state := make(map[string]conversion.State, len(ids))
	for i, id := range ids {
		state[id] = states[i]
	}
	var conv, aff, cur, reason []string
	var amount []int64
	err := eachRow(ctx, tx, func(r scanner) error {
		var id, affiliate, currency, status string
		var commission, paid, recorded int64
		if err := r.Scan(&id, &affiliate, &currency, &status, &commission, &paid, &recorded); err != nil {
			return err
		}
		if a := payout.Clawback(conversion.Status(status), commission, paid, recorded); a != 0 {
			conv, aff, cur, amount = append(conv, id), append(aff, affiliate), append(cur, currency), append(amount, a)
			reason = append(reason, payout.ClawbackReason(state[id]))
		}
		return nil
	}, `SELECT c.id, c.affiliate_id, c.currency, c.status, c.commission, c.paid_commission,
			COALESCE((SELECT sum(d.amount) FROM payout_debts d WHERE d.conversion_id = c.id), 0)
		FROM conversions c WHERE c.tenant_id = $1 AND c.id = ANY($2) AND c.paid_commission IS NOT NULL ORDER BY c.id`,
		tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("reading paid conversions: %w", err)
	}
	if len(conv) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payout_debts (tenant_id, affiliate_id, currency, conversion_id, amount, reason, created_at)
		SELECT $1, u.aff, u.cur, u.conv, u.amount, u.reason, $2
		FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) WITH ORDINALITY AS u(aff, cur, conv, amount, reason, n)
		ORDER BY u.n`,
		tenantID, now, pq.Array(aff), pq.Array(cur), pq.Array(conv), pq.Array(amount), pq.Array(reason)); err != nil {
		return fmt.Errorf("recording clawbacks: %w", err)
	}
	return nil
}
