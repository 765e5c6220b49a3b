package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"
)

// throttleLockClass is the first key of the throttle's advisory locks
// ("TRKT"); the second is taken from the attempt key (throttleLockID).
const throttleLockClass = 0x54524b54

// throttleKeep is how long attempts are kept: no throttle window may be
// longer.
const throttleKeep = 24 * time.Hour

// ThrottleKey is one key an attempt is counted under (an HMAC of what is
// limited: an email and an address, say), and the start of the window its
// attempts are counted in.
type ThrottleKey struct {
	Hash  []byte
	Since time.Time
}

// Attempt is an attempt that TakeAttempt let through and recorded: its
// rows, one per key.
type Attempt struct {
	IDs []int64
}

// TakeAttempt counts the attempts recorded under each key since its Since,
// asks allow whether one more may go ahead, and if so records it under
// every key (at time at). Counting and recording are one step: the keys'
// advisory locks are held until the transaction commits, taken in one
// order, so parallel attempts on any number of server processes are
// counted one after another and never all see the same count. An attempt
// let through is recorded before the caller does the expensive or
// sensitive part (comparing a password), so it counts as failed until the
// caller forgets it (ForgetAttempt). A refused attempt records nothing.
func (s *Store) TakeAttempt(ctx context.Context, at time.Time, keys []ThrottleKey, allow func(counts []int) bool) (Attempt, []int, error) {
	var a Attempt
	counts := make([]int, len(keys))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a.IDs = nil
		locks := make([]int64, len(keys))
		for i, k := range keys {
			locks[i] = throttleLockID(k.Hash)
		}
		slices.Sort(locks)
		for _, l := range slices.Compact(locks) {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, throttleLockClass, l); err != nil {
				return fmt.Errorf("locking a throttle key: %w", err)
			}
		}
		for i, k := range keys {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM login_attempts WHERE key_hash = $1 AND at >= $2`,
				k.Hash, k.Since).Scan(&counts[i]); err != nil {
				return fmt.Errorf("counting attempts: %w", err)
			}
		}
		if !allow(counts) {
			return nil
		}
		hashes := make([][]byte, len(keys))
		for i, k := range keys {
			hashes[i] = k.Hash
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO login_attempts (key_hash, at)
			SELECT k, $2 FROM unnest($1::bytea[]) k RETURNING id`, pq.ByteaArray(hashes), at)
		if err != nil {
			return fmt.Errorf("recording an attempt: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("recording an attempt: %w", err)
			}
			a.IDs = append(a.IDs, id)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("recording an attempt: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE at < $1`, at.Add(-throttleKeep)); err != nil {
			return fmt.Errorf("sweeping old attempts: %w", err)
		}
		return nil
	})
	if err != nil {
		return Attempt{}, nil, err
	}
	return a, counts, nil
}

// throttleLockID is the second key of a throttle key's advisory lock: the
// first 4 bytes of its hash. Two keys that share it merely wait for each
// other.
func throttleLockID(hash []byte) int64 {
	var b [4]byte
	copy(b[:], hash)
	return int64(int32(binary.BigEndian.Uint32(b[:])))
}

// ForgetAttempt removes an attempt's rows (it succeeded: it was no
// failure).
func (s *Store) ForgetAttempt(ctx context.Context, a Attempt) error {
	if len(a.IDs) == 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE id = ANY($1)`, pq.Int64Array(a.IDs)); err != nil {
		return fmt.Errorf("forgetting an attempt: %w", err)
	}
	return nil
}

// ClearAttempts forgets every attempt under a key (after a success).
func (s *Store) ClearAttempts(ctx context.Context, key []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE key_hash = $1`, key); err != nil {
		return fmt.Errorf("clearing attempts: %w", err)
	}
	return nil
}
