package stripesync

import (
	"context"
	"errors"

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
	}
	return "unknown"
}

// ApplyWebhookEvent applies one event a webhook delivered, once its
// signature is verified. account.application.deauthorized disconnects the
// account; an event of a connected account is applied like one a check
// reads and recorded by its id, so the same event read later by a check
// changes nothing (and the reverse). An error means the event could not be
// applied now (the database or Stripe is unreachable): a redelivery may
// succeed.
func (e *Engine) ApplyWebhookEvent(ctx context.Context, ev Event) (WebhookOutcome, error) {
	if ev.Type == DeauthorizedEvent {
		if ev.Account == "" {
			return WebhookDisconnected, nil // the platform's own: nothing to disconnect
		}
		return WebhookDisconnected, e.store.DisconnectAccount(ctx, ev.Account, ev.Livemode)
	}
	conn, err := e.store.Connection(ctx, ev.Account, ev.Livemode)
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
