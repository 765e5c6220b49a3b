package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Events a check could not read (SPEC section 13): a lookup they need
// failed in a way retrying does not fix. The engine decides when such an
// event is parked (after so many checks in a row); the store keeps count.

const eventFailureColumns = `f.connection_id, c.account_id, c.livemode, f.event_id, f.type, f.created, f.error, f.failures,
	f.parked_at, f.last_failed_at`

func scanEventFailure(r scanner, withPayload bool) (tracklane.ParkedEvent, error) {
	var p tracklane.ParkedEvent
	var parked sql.NullTime
	dest := []any{&p.ConnectionID, &p.AccountID, &p.Livemode, &p.EventID, &p.Type, &p.Created, &p.Error, &p.Failures, &parked, &p.LastTriedAt}
	if withPayload {
		dest = append(dest, &p.Payload)
	}
	err := r.Scan(dest...)
	if parked.Valid {
		p.ParkedAt = parked.Time
	}
	return p, err
}

// NoteEventFailure records that a check (the one started at checkAt)
// could not read an event of conn, with Stripe's message: one failure per
// check, however often that check tried. The event is parked once it has
// failed at parkAfter checks; it stays parked until it applies. It returns
// the event's record.
func (s *Store) NoteEventFailure(ctx context.Context, conn tracklane.StripeConnection, ev tracklane.ParkedEvent, message string,
	checkAt time.Time, parkAfter int) (tracklane.ParkedEvent, error) {
	now := s.Now()
	var failures int
	var parked sql.NullTime
	err := s.db.QueryRowContext(ctx, `INSERT INTO stripe_event_failures AS f (connection_id, tenant_id, event_id, type, created,
			payload, error, failures, last_check_at, first_failed_at, last_failed_at, parked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9, CASE WHEN 1 >= $10 THEN $9::timestamptz END)
		ON CONFLICT (connection_id, event_id) DO UPDATE SET
			error = excluded.error, payload = excluded.payload, last_failed_at = excluded.last_failed_at,
			failures = f.failures + CASE WHEN f.last_check_at < excluded.last_check_at THEN 1 ELSE 0 END,
			last_check_at = GREATEST(f.last_check_at, excluded.last_check_at),
			parked_at = coalesce(f.parked_at, CASE WHEN f.failures + CASE WHEN f.last_check_at < excluded.last_check_at THEN 1 ELSE 0 END >= $10
				THEN excluded.last_failed_at END)
		RETURNING failures, parked_at`,
		conn.ID, conn.TenantID, ev.EventID, ev.Type, ev.Created, ev.Payload, message, checkAt, now, parkAfter).Scan(&failures, &parked)
	if err != nil {
		return tracklane.ParkedEvent{}, fmt.Errorf("recording an event that could not be read: %w", err)
	}
	out := ev
	out.ConnectionID, out.AccountID, out.Livemode, out.Error, out.Failures, out.LastTriedAt = conn.ID, conn.AccountID, conn.Livemode, message, failures, now
	if parked.Valid {
		out.ParkedAt = parked.Time
	}
	return out, nil
}

// EventFailures lists a connection's events that could not be read, parked
// or not yet, oldest first, with their payloads.
func (s *Store) EventFailures(ctx context.Context, connectionID int64) ([]tracklane.ParkedEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventFailureColumns+`, f.payload
		FROM stripe_event_failures f JOIN stripe_connections c ON c.id = f.connection_id
		WHERE f.connection_id = $1 ORDER BY f.created, f.event_id`, connectionID)
	if err != nil {
		return nil, fmt.Errorf("listing events that could not be read: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "event failure", func(r scanner) (tracklane.ParkedEvent, error) { return scanEventFailure(r, true) })
}

// ForgetEventFailures drops the records of a connection's events that
// have now applied.
func (s *Store) ForgetEventFailures(ctx context.Context, connectionID int64, eventIDs []string) error {
	if len(eventIDs) == 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM stripe_event_failures WHERE connection_id = $1 AND event_id = ANY($2)`,
		connectionID, pq.Array(eventIDs)); err != nil {
		return fmt.Errorf("forgetting events that now applied: %w", err)
	}
	return nil
}

// TenantParkedEvents lists the parked events of a tenant's connections,
// newest failure first (for the dashboard; without payloads).
func (s *Store) TenantParkedEvents(ctx context.Context, tenantID string) ([]tracklane.ParkedEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventFailureColumns+`
		FROM stripe_event_failures f JOIN stripe_connections c ON c.id = f.connection_id AND c.tenant_id = f.tenant_id
		WHERE f.tenant_id = $1 AND f.parked_at IS NOT NULL
		ORDER BY f.last_failed_at DESC, f.event_id LIMIT 200`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("listing parked events: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "parked event", func(r scanner) (tracklane.ParkedEvent, error) { return scanEventFailure(r, false) })
}

// ParkedEventCount counts a connection's parked events.
func (s *Store) ParkedEventCount(ctx context.Context, connectionID int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM stripe_event_failures WHERE connection_id = $1 AND parked_at IS NOT NULL`,
		connectionID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting parked events: %w", err)
	}
	return n, nil
}
