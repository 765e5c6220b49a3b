package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// recordClawbacks brings the clawback ledger of the given conversions up
// to date after their commission or status changed, inside the same
// transaction (tx holds their row locks from the change). For a
// conversion whose commission a paid payout paid (paid_commission), the
// affiliate owes what it no longer earns: the ledger's entries for it sum
// to min(0, earned now − paid). The difference to what is already
// recorded becomes one new entry (negative: a debt; positive: a debt
// taken back, e.g. a rejection undone), open until a payout takes it.
//
// Every statement that changes a conversion's commission or status must
// call this in its transaction; reasons[i] says why ids[i] changed.
func recordClawbacks(ctx context.Context, tx *sql.Tx, tenantID string, ids, reasons []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO payout_debts (tenant_id, affiliate_id, currency, conversion_id, amount, reason, created_at)
		SELECT c.tenant_id, c.affiliate_id, c.currency, c.id, t.target - t.recorded, u.reason, $2
		FROM (SELECT DISTINCT ON (id) id, reason FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(id, reason, n)
			ORDER BY id, n DESC) AS u
		JOIN conversions c ON c.tenant_id = $1 AND c.id = u.id
		CROSS JOIN LATERAL (SELECT LEAST(0, `+effectiveCommission+` - c.paid_commission) AS target,
			COALESCE((SELECT sum(d.amount) FROM payout_debts d WHERE d.conversion_id = c.id), 0) AS recorded) AS t
		WHERE c.paid_commission IS NOT NULL AND t.target <> t.recorded`,
		tenantID, now, pq.Array(ids), pq.Array(reasons)); err != nil {
		return fmt.Errorf("recording clawbacks: %w", err)
	}
	return nil
}

// clawbackReason words a ledger entry from the conversion's new status and
// the reason its history gives ("fully refunded", "dispute lost", "hold
// period ended; partially refunded", …).
func clawbackReason(status, history string) string {
	switch {
	case status == "refunded" || status == "rejected" || status == "cancelled":
		return "clawback: " + history
	case strings.Contains(history, "partially refunded"):
		return "clawback: partially refunded"
	}
	return "adjustment: " + history
}
