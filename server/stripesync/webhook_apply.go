package stripesync

import (
	"context"
	"errors"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// WebhookOutcome says what became of an event a webhook delivered.
type WebhookOutcome int

const (
	// WebhookApplied: the event took effect, or had already (events are
	// recorded by id).
	WebhookApplied WebhookOutcome = iota
	// WebhookDisconnected: the app was uninstalled from the account
	// (account.application.deauthorized); it is no longer checked.
	WebhookDisconnected
	// WebhookNotConnected: the account is not connected (or no longer) in
	// the event's mode; the event is ignored.
	WebhookNotConnected
	// WebhookTypeNotUsed: the sync does not read events of this type.
	WebhookTypeNotUsed
	// WebhookDeferred: the event is left to the next check (a newer-shape
	// charge whose invoice nothing known yet names: the check reads the
	// events around it before asking Stripe).
	WebhookDeferred
	// WebhookStaleUninstall: an account.application.deauthorized event
	// created before the connection's latest connect (a retried old one,
	// after the app was installed again); it changes nothing.
	WebhookStaleUninstall
)

// String names the outcome as metrics count it.
func (o WebhookOutcome) String() string {
	switch o {
	case WebhookApplied:
		return "applied"
	case WebhookDisconnected:
		return "disconnected"
	case WebhookNotConnected:
		return "not_connected"
	case WebhookTypeNotUsed:
		return "type_not_used"
	case WebhookDeferred:
		return "deferred"
	case WebhookStaleUninstall:
		return "stale_uninstall"
	}
	return "unknown"
}

// ApplyWebhookEvent applies one event a webhook delivered, once its
// signature is verified. An event that names no account happened on the
// platform's own account (an endpoint listening to "your account"): it
// applies to that account's connection, if the app is installed there.
// account.application.deauthorized disconnects the account when it was
// created at or after the connection's latest connect; an event of a
// connected account is applied like one a check reads and recorded by its
// id, so the same event read later by a check changes nothing (and the
// reverse). An error means the event could not be applied now (the
// database or Stripe is unreachable): a redelivery may succeed.
func (e *Engine) ApplyWebhookEvent(ctx context.Context, ev Event) (WebhookOutcome, error) {
	account := ev.Account
	if account == "" {
		own, ok, err := e.platformAccount(ctx, ev.Livemode)
		if err != nil {
			return WebhookApplied, err
		}
		if !ok { // no platform key for the mode: nothing of it is checked
			return WebhookNotConnected, nil
		}
		account = own
	}
	if ev.Type == DeauthorizedEvent {
		return e.uninstalled(ctx, account, ev)
	}
	conn, err := e.store.Connection(ctx, account, ev.Livemode)
	if apperr.Is(err, apperr.NotFound) || (err == nil && !conn.Active) {
		return WebhookNotConnected, nil
	}
	if err != nil {
		return WebhookApplied, err
	}
	if !handled(ev.Type) {
		return WebhookTypeNotUsed, nil
	}
	return e.applyPushed(ctx, conn, ev)
}

// uninstalled applies account.application.deauthorized for account: its
// connections connected before the event was created end.
func (e *Engine) uninstalled(ctx context.Context, account string, ev Event) (WebhookOutcome, error) {
	n, err := e.store.DisconnectAccount(ctx, account, ev.Livemode, time.Unix(ev.Created, 0).UTC())
	if err != nil {
		return WebhookApplied, err
	}
	if n > 0 {
		e.log.InfoContext(ctx, "stripe app uninstalled; account disconnected", "account", account, "livemode", ev.Livemode, "event", ev.ID)
		return WebhookDisconnected, nil
	}
	if _, err := e.store.Connection(ctx, account, ev.Livemode); apperr.Is(err, apperr.NotFound) {
		return WebhookNotConnected, nil
	} else if err != nil {
		return WebhookApplied, err
	}
	e.log.InfoContext(ctx, "stripe uninstall event older than the latest connect; ignored", "account", account, "livemode", ev.Livemode, "event", ev.ID)
	return WebhookStaleUninstall, nil
}

// applyPushed interprets and applies one pushed event of a connection. It
// moves no cursor: pushed events arrive in any order, and the cursor only
// follows what checks have read. An event already recorded (a redelivery,
// or a check read it first) costs no lookup.
func (e *Engine) applyPushed(ctx context.Context, conn tracklane.StripeConnection, ev Event) (WebhookOutcome, error) {
	known, err := e.store.KnownEvents(ctx, conn.AccountID, conn.Livemode, []string{ev.ID})
	if err != nil || known[ev.ID] {
		return WebhookApplied, err
	}
	// Without a platform key for this mode the event may still be
	// applicable from its payload alone; the interpreter says when not.
	c, _ := e.client(conn.Livemode)
	if c != nil {
		e.learnPlatform(ctx, c, conn.Livemode)
	}
	in := &interpreter{client: c, store: e.store, conn: conn, deferUnlinked: true}
	se, err := in.interpret(ctx, ev)
	if errors.Is(err, errDeferred) {
		return WebhookDeferred, nil
	}
	if err != nil {
		return WebhookApplied, err
	}
	se.Via = "webhook"
	_, err = e.store.ApplyEvents(ctx, conn, []tracklane.StripeEvent{se}, nil)
	return WebhookApplied, err
}
