package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

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
// holding those conversions and adjustments, and returns them.
//
// Atomicity: each batch takes the tenant's payout advisory lock for its
// transaction, sums the payable conversions and open debts (locked), and
// writes the payouts and their payout_items rows in the same transaction.
// Concurrent calls, in this process or another, therefore never put one
// conversion or debt in two payouts: the second waits, then finds them
// taken; payout_items' primary key refuses a second payout for a
// conversion whatever happens. Conversions are not locked, so refunds and
// the click path never wait: a refund committed while a batch runs leaves
// the conversion in the payout at its new commission (pending amounts are
// computed on read), and a payout it made unpayable is dropped again
// before the batch commits.
func (s *Store) CreatePayouts(ctx context.Context, tenantID, affiliateID string, newID func() string) ([]tracklane.Payout, error) {
	minimum, err := s.payoutMinimum(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	affiliates, err := s.payableAffiliates(ctx, tenantID, affiliateID)
	if err != nil {
		return nil, err
	}
	var created []string
	for start := 0; start < len(affiliates); start += PayoutBatch {
		batch := affiliates[start:min(start+PayoutBatch, len(affiliates))]
		var ids []string
		err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
			var err error
			ids, err = s.createPayoutBatch(ctx, tx, tenantID, batch, minimum, newID)
			return err
		})
		if err != nil {
			return nil, err
		}
		created = append(created, ids...)
	}
	return s.payoutsByID(ctx, tenantID, created)
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
			WHERE tenant_id = $1 AND status = 'approved' AND payout_id IS NULL AND ($2 = '' OR affiliate_id = $2)
				AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.conversion_id = c.id)
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
// tx and returns their ids.
func (s *Store) createPayoutBatch(ctx context.Context, tx *sql.Tx, tenantID string, affiliates []string, minimum int64, newID func() string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, payoutLock, tenantID); err != nil {
		return nil, fmt.Errorf("taking the payout lock: %w", err)
	}
	net, err := sumByKey(ctx, tx, `
		SELECT affiliate_id, currency, sum(commission) FROM conversions c
		WHERE tenant_id = $1 AND affiliate_id = ANY($2) AND status = 'approved' AND payout_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.conversion_id = c.id)
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
	ids, got, err := s.insertPayouts(ctx, tx, tenantID, keys, net, newID)
	if err != nil {
		return nil, err
	}
	// A refund committed between the sums and the insert changed what the
	// payouts got: drop again, in this transaction, any it made unpayable,
	// and correct the amount of the others.
	var drop, kept, fixed []string
	var amounts []int64
	for i, id := range ids {
		v := got[id] + debts[keys[i]]
		switch {
		case v <= 0 || v < minimum:
			drop = append(drop, id)
			continue
		case v != net[keys[i]]:
			fixed, amounts = append(fixed, id), append(amounts, v)
		}
		kept = append(kept, id)
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

// payable lists, in a fixed order, the keys whose net is > 0 and ≥ minimum.
func payable(net map[payoutKey]int64, minimum int64) []payoutKey {
	var keys []payoutKey
	for k, v := range net {
		if v > 0 && v >= minimum {
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

// insertPayouts inserts one pending payout per key and puts the payable
// conversions (payout_items: its primary key refuses a conversion already
// in a payout) and the open debts into it. It returns the payout ids and
// the commission each one got, as inserted.
func (s *Store) insertPayouts(ctx context.Context, tx *sql.Tx, tenantID string, keys []payoutKey, net map[payoutKey]int64, newID func() string) ([]string, map[string]int64, error) {
	n := len(keys)
	ids, aff, cur, amount := make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, k := range keys {
		ids[i], aff[i], cur[i], amount[i] = newID(), k.affiliate, k.currency, net[k]
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.ExecContext(ctx, `INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, created_at)
		SELECT u.id, $1, u.aff, u.cur, u.amount, 'pending', $2
		FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(id, aff, cur, amount)`,
		tenantID, now, pq.Array(ids), pq.Array(aff), pq.Array(cur), pq.Array(amount)); err != nil {
		return nil, nil, fmt.Errorf("inserting payouts: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `
		WITH sel AS (
			SELECT c.id, u.id AS payout_id, c.commission
			FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, aff, cur)
			JOIN conversions c ON c.tenant_id = $1 AND c.affiliate_id = u.aff AND c.currency = u.cur
				AND c.status = 'approved' AND c.payout_id IS NULL
			WHERE NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.conversion_id = c.id)),
		ins AS (INSERT INTO payout_items (conversion_id, tenant_id, payout_id, commission) SELECT id, $1, payout_id, commission FROM sel)
		SELECT payout_id, sum(commission) FROM sel GROUP BY 1`,
		tenantID, pq.Array(ids), pq.Array(aff), pq.Array(cur))
	if err != nil {
		return nil, nil, fmt.Errorf("moving conversions into payouts: %w", err)
	}
	got := make(map[string]int64, n)
	for rows.Next() {
		var id string
		var sum int64
		if err := rows.Scan(&id, &sum); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("moving conversions into payouts: %w", err)
		}
		got[id] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("moving conversions into payouts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payout_debts d SET payout_id = u.id
		FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, aff, cur)
		WHERE d.tenant_id = $1 AND d.affiliate_id = u.aff AND d.currency = u.cur AND d.payout_id IS NULL`,
		tenantID, pq.Array(ids), pq.Array(aff), pq.Array(cur)); err != nil {
		return nil, nil, fmt.Errorf("moving adjustments into payouts: %w", err)
	}
	return ids, got, nil
}

// payoutsByID reads payouts in the order given, in chunks.
func (s *Store) payoutsByID(ctx context.Context, tenantID string, ids []string) ([]tracklane.Payout, error) {
	out := make([]tracklane.Payout, 0, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		rows, err := s.db.QueryContext(ctx, `SELECT `+payoutColumns+payoutFrom+`
			JOIN unnest($2::text[]) WITH ORDINALITY AS u(id, n) ON u.id = p.id
			WHERE p.tenant_id = $1 ORDER BY u.n`, tenantID, pq.Array(chunk))
		if err != nil {
			return nil, fmt.Errorf("reading created payouts: %w", err)
		}
		ps, err := scanAll(rows, "payout", scanPayout)
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading created payouts: %w", err)
		}
		if err := s.loadPayoutParts(ctx, s.db, tenantID, ps); err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	if len(out) != len(ids) {
		return nil, errors.New("reading created payouts: some are missing")
	}
	return out, nil
}
