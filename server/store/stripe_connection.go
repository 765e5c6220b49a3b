package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

const connectionColumns = `id, tenant_id, account_id, livemode, user_id, token_hint, active, connected_at,
	cursor_event_id, cursor_created, backfill_after, backfill_since,
	last_check_started_at, last_check_finished_at, last_events_seen, last_created, last_updated, last_error, next_check_at,
	uninstalled_at, last_connect_at, refused_since`

func scanConnection(row scanner) (tracklane.StripeConnection, error) {
	var c tracklane.StripeConnection
	var started, finished, uninstalled, refused sql.NullTime
	var r tracklane.CheckResult
	err := row.Scan(&c.ID, &c.TenantID, &c.AccountID, &c.Livemode, &c.UserID, &c.TokenHint, &c.Active, &c.ConnectedAt,
		&c.CursorEventID, &c.CursorCreated, &c.BackfillAfter, &c.BackfillSince,
		&started, &finished, &r.EventsSeen, &r.ConversionsCreated, &r.ConversionsUpdated, &r.Error, &c.NextCheckAt, &uninstalled,
		&c.LastConnectAt, &refused)
	c.UninstalledAt = timePtr(uninstalled)
	c.RefusedSince = timePtr(refused)
	r.RefusedSince = c.RefusedSince
	if started.Valid {
		r.StartedAt = started.Time
		if finished.Valid {
			f := finished.Time
			r.FinishedAt = &f
		}
		c.LastCheck = &r
	}
	return c, err
}

// timePtr is a nullable time as a pointer: nil for NULL.
func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	at := t.Time
	return &at
}

// Connect binds account+mode to the tenant. Another tenant's active binding
// → conflict. Reconnecting keeps the cursor (events already applied stay
// applied); a binding taken over from a disconnected tenant starts afresh.
// Every save is the connection's latest connect (LastConnectAt): the app
// was installed when it was made, so an uninstall event created before it
// is out of date.
func (s *Store) Connect(ctx context.Context, tenantID, accountID string, livemode bool, userID, tokenHint string) (tracklane.StripeConnection, error) {
	var out tracklane.StripeConnection
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		existing, err := scanConnection(tx.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM stripe_connections
			WHERE account_id = $1 AND livemode = $2 FOR UPDATE`, accountID, livemode))
		switch {
		case err == sql.ErrNoRows:
			out, err = scanConnection(tx.QueryRowContext(ctx, `INSERT INTO stripe_connections
				(tenant_id, account_id, livemode, user_id, token_hint, next_check_at, last_connect_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
				RETURNING `+connectionColumns, tenantID, accountID, livemode, userID, tokenHint, s.Now()))
			return err
		case err != nil:
			return fmt.Errorf("reading connection: %w", err)
		case existing.Active && existing.TenantID != tenantID:
			return apperr.Errorf(apperr.Conflict, "this Stripe account (%s mode) is connected to another Tracklane tenant; disconnect it there first", modeName(livemode))
		case existing.TenantID != tenantID:
			out, err = scanConnection(tx.QueryRowContext(ctx, `UPDATE stripe_connections SET tenant_id = $2, user_id = $3,
				token_hint = $4, active = true, connected_at = $5, cursor_event_id = '', cursor_created = 0,
				backfill_after = '', backfill_since = 0, last_check_started_at = NULL, last_check_finished_at = NULL,
				last_events_seen = 0, last_created = 0, last_updated = 0, last_error = '', next_check_at = $5,
				uninstalled_at = NULL, last_success_at = NULL, last_connect_at = $5, refused_since = NULL
				WHERE id = $1 RETURNING `+connectionColumns, existing.ID, tenantID, userID, tokenHint, s.Now()))
			return err
		default:
			out, err = scanConnection(tx.QueryRowContext(ctx, `UPDATE stripe_connections SET user_id = $2, token_hint = $3,
				active = true, connected_at = CASE WHEN active THEN connected_at ELSE $4 END, next_check_at = $4,
				uninstalled_at = NULL, last_connect_at = $4
				WHERE id = $1 RETURNING `+connectionColumns, existing.ID, userID, tokenHint, s.Now()))
			return err
		}
	})
	if err != nil {
		return tracklane.StripeConnection{}, err
	}
	return out, nil
}

func modeName(livemode bool) string {
	if livemode {
		return "live"
	}
	return "test"
}

// Connection returns the connection of account+mode; not_found when there is
// none (active or not).
func (s *Store) Connection(ctx context.Context, accountID string, livemode bool) (tracklane.StripeConnection, error) {
	c, err := scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM stripe_connections
		WHERE account_id = $1 AND livemode = $2`, accountID, livemode))
	if err != nil {
		return tracklane.StripeConnection{}, notFound(err, "this Stripe account is not connected in %s mode", modeName(livemode))
	}
	return c, nil
}

// ConnectionByID returns a connection by id.
func (s *Store) ConnectionByID(ctx context.Context, id int64) (tracklane.StripeConnection, error) {
	c, err := scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM stripe_connections WHERE id = $1`, id))
	if err != nil {
		return tracklane.StripeConnection{}, notFound(err, "no such Stripe connection")
	}
	return c, nil
}

// TenantConnections lists a tenant's connections (active first).
func (s *Store) TenantConnections(ctx context.Context, tenantID string) ([]tracklane.StripeConnection, error) {
	return s.connections(ctx, `SELECT `+connectionColumns+` FROM stripe_connections WHERE tenant_id = $1
		ORDER BY active DESC, connected_at DESC`, tenantID)
}

// DueConnections lists active connections whose next check is due.
func (s *Store) DueConnections(ctx context.Context, now time.Time) ([]tracklane.StripeConnection, error) {
	return s.connections(ctx, `SELECT `+connectionColumns+` FROM stripe_connections WHERE active AND next_check_at <= $1
		ORDER BY next_check_at`, now)
}

// CapNextChecks brings forward every active connection's next check that
// lies more than interval after its last check, to last check + interval.
// The engine calls it when it starts, so a SYNC_INTERVAL shortened since
// the checks were scheduled takes effect at once rather than after the
// checks planned under the old one. It never postpones a check; a
// connection never checked keeps its time (it is due from connecting).
func (s *Store) CapNextChecks(ctx context.Context, interval time.Duration) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE stripe_connections
		SET next_check_at = COALESCE(last_check_finished_at, last_check_started_at) + make_interval(secs => $1)
		WHERE active AND next_check_at > COALESCE(last_check_finished_at, last_check_started_at) + make_interval(secs => $1)`,
		interval.Seconds()); err != nil {
		return fmt.Errorf("rescheduling checks: %w", err)
	}
	return nil
}

func (s *Store) connections(ctx context.Context, q string, args ...any) ([]tracklane.StripeConnection, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "connection", scanConnection)
}

// Disconnect stops checking account+mode for the tenant (its conversions
// stay); not_found when the tenant holds no such connection.
func (s *Store) Disconnect(ctx context.Context, tenantID, accountID string, livemode bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE stripe_connections SET active = false
		WHERE tenant_id = $1 AND account_id = $2 AND livemode = $3`, tenantID, accountID, livemode)
	if err != nil {
		return fmt.Errorf("disconnecting: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.Errorf(apperr.NotFound, "this Stripe account is not connected in %s mode", modeName(livemode))
	}
	return nil
}

// DisconnectAccount records that the Stripe App was uninstalled from an
// account, as an account.application.deauthorized event created at
// uninstalled says: its connections stop being checked and remember when.
// An uninstall reported in live mode ends both modes (the install is the
// account's); one reported in test mode ends test mode only. A connection
// saved again after the event was created (the second of its latest
// connect, as Stripe's times are whole seconds) is left alone: the app was
// installed again since. The first report's time is kept. It returns how
// many connections the event ended.
func (s *Store) DisconnectAccount(ctx context.Context, accountID string, livemode bool, uninstalled time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE stripe_connections SET active = false, uninstalled_at = COALESCE(uninstalled_at, $3)
		WHERE account_id = $1 AND (livemode = $2 OR $2) AND date_trunc('second', last_connect_at) <= $4`,
		accountID, livemode, s.Now(), uninstalled)
	if err != nil {
		return 0, fmt.Errorf("disconnecting account: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// StartCheck records that a check began.
func (s *Store) StartCheck(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE stripe_connections SET last_check_started_at = $2, last_check_finished_at = NULL
		WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("recording check start: %w", err)
	}
	return nil
}

// FinishCheck records a check's outcome and when the next one is due. A
// check Stripe refused records r.RefusedSince; a successful one clears it;
// one that failed otherwise (Stripe down, say) leaves it, so a refusal
// that outlasts an outage keeps its first time.
func (s *Store) FinishCheck(ctx context.Context, id int64, r tracklane.CheckResult, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE stripe_connections SET last_check_started_at = $2, last_check_finished_at = $3,
		last_events_seen = $4, last_created = $5, last_updated = $6, last_error = $7, next_check_at = $8,
		last_success_at = CASE WHEN $7 = '' THEN $3 ELSE last_success_at END,
		refused_since = CASE WHEN $7 = '' THEN NULL ELSE COALESCE($9, refused_since) END WHERE id = $1`,
		id, r.StartedAt, r.FinishedAt, r.EventsSeen, r.ConversionsCreated, r.ConversionsUpdated, r.Error, next, r.RefusedSince)
	if err != nil {
		return fmt.Errorf("recording check result: %w", err)
	}
	return nil
}

// OldestCheckSuccess returns the earliest last successful check among
// active connections, a connection never checked successfully counting
// from when it was connected; ok is false when no connection is active.
func (s *Store) OldestCheckSuccess(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT min(COALESCE(last_success_at, connected_at)) FROM stripe_connections WHERE active`).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("reading the oldest successful check: %w", err)
	}
	return at.Time, at.Valid, nil
}

// RefreshSyncStats updates the planner's statistics of the tables a sync
// writes. A first check can add thousands of rows to small tables faster
// than autovacuum notices, and stale statistics make the planner scan
// instead of probe; the sync calls this every few thousand events.
func (s *Store) RefreshSyncStats(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `ANALYZE stripe_events, stripe_payments, stripe_charges, stripe_customer_attributions, conversions`); err != nil {
		return fmt.Errorf("analyzing sync tables: %w", err)
	}
	return nil
}
