package store

import (
	"context"
	"fmt"
)

// lockClass is the first key of Tracklane's advisory locks ("TRKL").
const lockClass = 0x54524b4c

// LockConnection takes the PostgreSQL advisory lock of a Stripe connection,
// which makes checks of one account exclusive across every server process.
// With wait false it returns ok=false at once when another session holds
// it. The lock lives on a dedicated connection released by unlock.
func (s *Store) LockConnection(ctx context.Context, id int64, wait bool) (unlock func(), ok bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("taking a connection for a lock: %w", err)
	}
	key := int32(id) // connection ids stay far below 2^31
	if wait {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, key)
		ok = err == nil
	} else {
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockClass, key).Scan(&ok)
	}
	if err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("taking the check lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		// Unlock on a fresh context: the caller's may be cancelled. If the
		// session died, PostgreSQL released the lock with it.
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1, $2)`, lockClass, key)
		conn.Close()
	}, true, nil
}
