package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/payout"
	"github.com/tracklane/tracklane/server/tracklane"
)

// payoutLock is the second key class of the per-tenant advisory lock that
// serialises payout creation ("PAYO"), beside the check locks of lock.go.
const payoutLock = 0x5041594f

// PayoutBatch is how many affiliates one payout-creating transaction
// covers: each batch commits on its own, so no transaction holds many
// rows for long.
const PayoutBatch = 500

// CreatePayouts creates, for each affiliate of the tenant (or only
// affiliateID when given) and currency whose payable commission plus open
// adjustments is > 0 and ≥ the tenant's payout minimum, one pending payout
// holding those conversions and adjustments, and returns them as created.
//
// Atomicity: each batch takes the tenant's payout advisory lock for its
// transaction, sums the payable conversions and open debts (locked), and
// writes the payouts and their payout_items rows in the same transaction.
// Concurrent calls, in this process or another, therefore never put one
// conversion or debt in two payouts: the second waits, then finds them
// taken; payout_items' primary key refuses a second payout for a
// conversion whatever happens. Conversions are not locked, so refunds and
// the click path never wait: a refund committed while a batch runs leaves
// the conversion in the payout at its new commission (a pending payout's
// amount follows its conversions on read), and a payout it made unpayable
// is dropped again before the batch commits.
func (s *Store) CreatePayouts(ctx context.Context, tenantID, affiliateID string, newID func() string) ([]tracklane.Payout, error) {
	minimum, err := s.payoutMinimum(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	affiliates, err := s.payableAffiliates(ctx, tenantID, affiliateID)
	if err != nil {
		return nil, err
	}
	created := []tracklane.Payout{}
	for start := 0; start < len(affiliates); start += PayoutBatch {
		batch := affiliates[start:min(start+PayoutBatch, len(affiliates))]
		var ps []tracklane.Payout
		err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
			var err error
			ps, err = s.createPayoutBatch(ctx, tx, tenantID, batch, minimum, newID)
			return err
		})
		if err != nil {
			return nil, err
		}
		created = append(created, ps...)
	}
	return created, nil
}

func (s *Store) payoutMinimum(ctx context.Context, tenantID string) (int64, error) {
	var minimum int64
	err := s.db.QueryRowContext(ctx, `SELECT payout_minimum FROM tenants WHERE id = $1`, tenantID).Scan(&minimum)
	if err != nil {
		return 0, notFound(err, "no tenant %q", tenantID)
	}
	return minimum, nil
}

// payableAffiliates lists, in id order, the affiliates with payable
// conversions or open adjustments (a hint: each batch re-checks under lock).
func (s *Store) payableAffiliates(ctx context.Context, tenantID, affiliateID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT DISTINCT affiliate_id FROM conversions c
			WHERE c.tenant_id = $1 AND ($2 = '' OR c.affiliate_id = $2) AND `+payableConversion+`
		UNION
		SELECT DISTINCT affiliate_id FROM payout_debts
			WHERE tenant_id = $1 AND payout_id IS NULL AND ($2 = '' OR affiliate_id = $2)
		ORDER BY 1`, tenantID, affiliateID)
	if err != nil {
		return nil, fmt.Errorf("listing payable affiliates: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "affiliate id", func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

type payoutKey struct{ affiliate, currency string }

// createPayoutBatch creates the payouts of one batch of affiliates inside
// tx and returns them.
func (s *Store) createPayoutBatch(ctx context.Context, tx *sql.Tx, tenantID string, affiliates []string, minimum int64, newID func() string) ([]tracklane.Payout, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, payoutLock, tenantID); err != nil {
		return nil, fmt.Errorf("taking the payout lock: %w", err)
	}
	net, err := sumByKey(ctx, tx, `
		SELECT affiliate_id, currency, sum(commission) FROM conversions c
		WHERE c.tenant_id = $1 AND c.affiliate_id = ANY($2) AND `+payableConversion+`
		GROUP BY 1, 2`, tenantID, pq.Array(affiliates))
	if err != nil {
		return nil, fmt.Errorf("summing payable commission: %w", err)
	}
	// Open debts are locked: a concurrent cancel or creation cannot move
	// them meanwhile (new ones recorded meanwhile wait for the next payout).
	debts, err := sumByKey(ctx, tx, `
		SELECT affiliate_id, currency, sum(amount) FROM (
			SELECT affiliate_id, currency, amount FROM payout_debts
			WHERE tenant_id = $1 AND affiliate_id = ANY($2) AND payout_id IS NULL ORDER BY id FOR UPDATE) d
		GROUP BY 1, 2`, tenantID, pq.Array(affiliates))
	if err != nil {
		return nil, fmt.Errorf("summing open debts: %w", err)
	}
	for k, v := range debts {
		net[k] += v
	}
	keys := payable(net, minimum)
	if len(keys) == 0 {
		return nil, nil
	}
	ps, err := s.insertPayouts(ctx, tx, tenantID, keys, net, newID)
	if err != nil {
		return nil, err
	}
	return settleBatch(ctx, tx, tenantID, ps, net, keys, minimum)
}

// settleBatch deals with a refund committed between the sums and the
// insert, which changed what the payouts got: it drops again, in this
// transaction, any payout it made unpayable, and corrects the others'
// amounts. ps[i] is the payout of keys[i].
func settleBatch(ctx context.Context, tx *sql.Tx, tenantID string, ps []tracklane.Payout, net map[payoutKey]int64, keys []payoutKey, minimum int64) ([]tracklane.Payout, error) {
	var drop, fixed []string
	var amounts []int64
	kept := ps[:0]
	for i, p := range ps {
		switch {
		case payout.Settle(p.Amount, minimum) != payout.Pays:
			drop = append(drop, p.ID)
			continue
		case p.Amount != net[keys[i]]:
			fixed, amounts = append(fixed, p.ID), append(amounts, p.Amount)
		}
		kept = append(kept, p)
	}
	if len(fixed) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE payouts p SET amount = u.amount FROM unnest($2::text[], $3::bigint[]) AS u(id, amount)
			WHERE p.tenant_id = $1 AND p.id = u.id`, tenantID, pq.Array(fixed), pq.Array(amounts)); err != nil {
			return nil, fmt.Errorf("correcting payout amounts: %w", err)
		}
	}
	if len(drop) > 0 {
		if err := dropPayouts(ctx, tx, tenantID, drop); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// payable lists, in a fixed order, the keys whose net makes a payout.
func payable(net map[payoutKey]int64, minimum int64) []payoutKey {
	var keys []payoutKey
	for k, v := range net {
		if payout.Settle(v, minimum) == payout.Pays {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].affiliate < keys[j].affiliate || keys[i].affiliate == keys[j].affiliate && keys[i].currency < keys[j].currency
	})
	return keys
}

// sumByKey runs a query of (affiliate_id, currency, sum) rows.
func sumByKey(ctx context.Context, tx *sql.Tx, q string, args ...any) (map[payoutKey]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[payoutKey]int64{}
	for rows.Next() {
		var k payoutKey
		var sum int64
		if err := rows.Scan(&k.affiliate, &k.currency, &sum); err != nil {
			return nil, err
		}
		out[k] += sum
	}
	return out, rows.Err()
}

// dropPayouts removes payouts created in this transaction, freeing what
// they held.
func dropPayouts(ctx context.Context, tx *sql.Tx, tenantID string, ids []string) error {
	for _, q := range []string{
		`DELETE FROM payout_items WHERE tenant_id = $1 AND payout_id = ANY($2)`,
		`UPDATE payout_debts SET payout_id = NULL WHERE tenant_id = $1 AND payout_id = ANY($2)`,
		`DELETE FROM payouts WHERE tenant_id = $1 AND id = ANY($2)`,
	} {
		if _, err := tx.ExecContext(ctx, q, tenantID, pq.Array(ids)); err != nil {
			return fmt.Errorf("dropping unpayable payouts: %w", err)
		}
	}
	return nil
}
