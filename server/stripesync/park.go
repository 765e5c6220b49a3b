package stripesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// parkAfterChecks is how many checks in a row an event's lookup must fail
// before the event is parked (SPEC section 13): one failure may be a
// permission being granted or a hiccup; by the third the merchant has had
// two intervals to see the error.
const parkAfterChecks = 3

// refusedLookup: Stripe answered a lookup with a 4xx that retrying does
// not fix and that says nothing of the whole connection (not a 404, which
// means the object is gone, not a 429, not a key refused outright): a
// missing permission, an expansion Stripe refuses. The event that needed
// it can be parked.
type refusedLookup struct {
	call   string // "GET /v1/credit_notes/cn_…"
	status int
	msg    string
	err    error // as classified for the check's message
}

func (e *refusedLookup) Error() string {
	return fmt.Sprintf("Stripe refused %s (%d): %s", e.call, e.status, e.msg)
}

func (e *refusedLookup) Unwrap() error { return e.err }

// refusedLookupOf wraps classified as a refusedLookup when Stripe's own
// answer (raw) to one object's lookup was such a refusal. A refusal of
// the key or the account as a whole (keyRefused) stays what classify made
// of it: the check is refused, no event is parked. A 403 of one lookup is
// no refusal of the connection: it is a bad_gateway error, not an
// accessError.
func refusedLookupOf(call string, raw, classified error) error {
	var se *stripe.Error
	if classified == nil || !errors.As(raw, &se) {
		return classified
	}
	switch st := se.HTTPStatusCode; {
	case st < 400 || st >= 500, st == http.StatusNotFound, st == http.StatusTooManyRequests, keyRefused(se),
		se.Code == stripe.ErrorCodeResourceMissing:
		return classified
	}
	var ae *accessError
	if errors.As(classified, &ae) {
		classified = apperr.Errorf(apperr.BadGateway, "Stripe answered %d: %s", se.HTTPStatusCode, se.Msg)
	}
	return &refusedLookup{call: call, status: se.HTTPStatusCode, msg: se.Msg, err: classified}
}

// keyRefused: Stripe refused the key itself (401: rolled or deleted) or
// its access to the whole account (403 account_invalid, or access
// revoked), not one object.
func keyRefused(se *stripe.Error) bool {
	return se.HTTPStatusCode == http.StatusUnauthorized || (se.HTTPStatusCode == http.StatusForbidden &&
		(se.Code == stripe.ErrorCodeAccountInvalid || strings.Contains(se.Msg, "Application access may have been revoked")))
}

// payloadOf is the event as kept to try it again.
func payloadOf(ev Event) []byte {
	b, _ := json.Marshal(ev)
	return b
}

// park records that this check could not read ev because a lookup was
// refused; parked reports whether the event is now set aside (this was
// the parkAfterChecks-th check in a row). When it is not, the check stops
// with an error that says what happens next.
func (cr *checkRun) park(ctx context.Context, ev Event, cause error) (parked bool, err error) {
	var rl *refusedLookup
	if !errors.As(cause, &rl) {
		return false, cause
	}
	rec, err := cr.engine.store.NoteEventFailure(ctx, cr.conn, tracklane.ParkedEvent{EventID: ev.ID, Type: ev.Type,
		Created: time.Unix(ev.Created, 0).UTC(), Payload: payloadOf(ev)}, rl.Error(), cr.res.StartedAt, parkAfterChecks)
	if err != nil {
		return false, err
	}
	if rec.ParkedAt.IsZero() {
		return false, apperr.Errorf(apperr.BadGateway, "event %s (%s) could not be read: %s; failed at %d check(s) in a row, "+
			"at %d it is set aside and the later events go on", ev.ID, ev.Type, rl.Error(), rec.Failures, parkAfterChecks)
	}
	cr.engine.log.WarnContext(ctx, "stripe event parked: a lookup it needs keeps being refused", "account", cr.conn.AccountID,
		"livemode", cr.conn.Livemode, "event", ev.ID, "type", ev.Type, "err", rl.Error())
	cr.failures[ev.ID] = rec
	cr.parkedNow[ev.ID] = true
	return true, nil
}

// retryParked tries every parked event of the connection again, after the
// check has read the rest (so what later events taught is known), but
// those it parked itself: one that applies is no longer parked; one still
// refused keeps its place, with Stripe's latest answer.
func (cr *checkRun) retryParked(ctx context.Context) error {
	var ids []string
	for id, f := range cr.failures {
		if !f.ParkedAt.IsZero() && !cr.parkedNow[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // a fixed order, for the logs and the calls
	if len(ids) == 0 {
		return nil
	}
	known, err := cr.engine.store.KnownEvents(ctx, cr.conn.AccountID, cr.conn.Livemode, ids)
	if err != nil {
		return err
	}
	var done []string
	for _, id := range ids {
		if known[id] { // a webhook applied it meanwhile
			done = append(done, id)
			continue
		}
		var ev Event
		if json.Unmarshal(cr.failures[id].Payload, &ev) != nil {
			continue
		}
		if err := cr.in.notePage(ctx, []Event{ev}, nil); err != nil {
			return err
		}
		se, err := cr.in.interpret(ctx, ev)
		var rl *refusedLookup
		if errors.As(err, &rl) {
			if _, err := cr.engine.store.NoteEventFailure(ctx, cr.conn, cr.failures[id], rl.Error(), cr.res.StartedAt, parkAfterChecks); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		se.Via = "check"
		out, err := cr.engine.store.ApplyEvents(ctx, cr.conn, []tracklane.StripeEvent{se}, nil)
		if err != nil {
			return err
		}
		cr.res.ConversionsCreated += out.Created
		cr.res.ConversionsUpdated += out.Updated
		done = append(done, id)
	}
	return cr.engine.store.ForgetEventFailures(ctx, cr.conn.ID, done)
}
