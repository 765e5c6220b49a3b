// Package stripesync turns connected Stripe accounts' billing events into
// conversions. One code path serves the periodic check, Check Now and
// webhooks: events are read (listed with a stored cursor, or pushed),
// interpreted tolerantly from their raw JSON, and applied by the store in
// one transaction with their event ids, so each event takes effect once,
// ever. Two checks of one account never overlap, across processes too
// (PostgreSQL advisory locks).
package stripesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// EventTypes are the events a check reads.
var EventTypes = []string{
	"invoice.paid",
	"charge.succeeded",
	"charge.refunded",
	"charge.dispute.created",
	"charge.dispute.updated",
	"charge.dispute.closed",
	"customer.subscription.deleted",
	"checkout.session.completed",
	"customer.created",
	"customer.updated",
	"payment_intent.succeeded",
	"charge.captured",       // a charge authorised first counts when captured
	"charge.refund.updated", // a refund that fails or is cancelled gives the amount back
	"credit_note.created",
	"credit_note.voided",
	"invoice_payment.paid", // newer API versions: the invoice a payment intent paid
}

// pageSize is how many events one list call asks for (Stripe's maximum).
const pageSize = 100

// statsEvery is how many applied events pass between refreshes of the
// planner's statistics during a check.
const statsEvery = 1000

// Store is what the engine needs from storage.
type Store interface {
	ConnectionByID(ctx context.Context, id int64) (tracklane.StripeConnection, error)
	Connection(ctx context.Context, accountID string, livemode bool) (tracklane.StripeConnection, error)
	DueConnections(ctx context.Context, now time.Time) ([]tracklane.StripeConnection, error)
	CapNextChecks(ctx context.Context, interval time.Duration) error
	DisconnectAccount(ctx context.Context, accountID string, livemode bool, uninstalled time.Time) (int, error)
	StartCheck(ctx context.Context, id int64, at time.Time) error
	FinishCheck(ctx context.Context, id int64, r tracklane.CheckResult, next time.Time) error
	ApplyEvents(ctx context.Context, conn tracklane.StripeConnection, events []tracklane.StripeEvent, cursor *store.CursorUpdate) (store.ApplyOutcome, error)
	ChargeLinks(ctx context.Context, accountID string, livemode bool, charges, paymentIntents []string) (tracklane.ChargeLinks, error)
	KnownEvents(ctx context.Context, accountID string, livemode bool, ids []string) (map[string]bool, error)
	NoteEventFailure(ctx context.Context, conn tracklane.StripeConnection, ev tracklane.ParkedEvent, message string, checkAt time.Time, parkAfter int) (tracklane.ParkedEvent, error)
	EventFailures(ctx context.Context, connectionID int64) ([]tracklane.ParkedEvent, error)
	ForgetEventFailures(ctx context.Context, connectionID int64, eventIDs []string) error
	CustomerAttributed(ctx context.Context, accountID string, livemode bool, customerID string) (bool, error)
	PromotionCode(ctx context.Context, accountID string, livemode bool, id string) (code string, found bool, err error)
	SavePromotionCode(ctx context.Context, accountID string, livemode bool, id, code string) error
	AttributeWaiting(ctx context.Context, tenantID, email string) (int, error)
	ApproveDue(ctx context.Context) (int, error)
	LockConnection(ctx context.Context, id int64, wait bool) (unlock func(), ok bool, err error)
	RefreshSyncStats(ctx context.Context) error
}

// Engine checks connected accounts.
type Engine struct {
	store    Store
	live     *Client // nil when STRIPE_SECRET_KEY is unset
	test     *Client // nil when STRIPE_TEST_SECRET_KEY is unset
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	observer Observer
}

// Observer counts checks and webhook deliveries for metrics.
type Observer interface {
	// CheckDone: a check finished; outcome is ok, failed or uninstalled.
	CheckDone(livemode bool, outcome string)
	// WebhookDone: a delivery was answered at the endpoint of a mode; see
	// WebhookHandler for the outcomes.
	WebhookDone(livemode bool, outcome string)
}

type noObserver struct{}

func (noObserver) CheckDone(bool, string)   {}
func (noObserver) WebhookDone(bool, string) {}

// WithObserver makes the engine (and its webhook handler) report to o;
// call it while wiring, before the engine runs.
func (e *Engine) WithObserver(o Observer) *Engine {
	if o != nil {
		e.observer = o
	}
	return e
}

// New returns an Engine; live or test may be nil (that mode is not
// configured, and its checks fail with a clear message).
func New(st Store, live, test *Client, interval time.Duration, log *slog.Logger, now func() time.Time) *Engine {
	return &Engine{store: st, live: live, test: test, interval: interval, log: log, now: now, observer: noObserver{}}
}

func (e *Engine) client(livemode bool) (*Client, error) {
	if livemode && e.live != nil {
		return e.live, nil
	}
	if !livemode && e.test != nil {
		return e.test, nil
	}
	return nil, errNoClient(livemode)
}

// errNoClient: the platform key of a mode is not configured.
func errNoClient(livemode bool) error {
	name := "STRIPE_TEST_SECRET_KEY"
	if livemode {
		name = "STRIPE_SECRET_KEY"
	}
	return apperr.Errorf(apperr.Unavailable, "the server has no Stripe platform key for this mode (%s is unset)", name)
}

// CheckNow checks one connection now and returns the result. When a check
// of it is already running (here or in another process), it waits for that
// one and returns its result instead of starting another.
func (e *Engine) CheckNow(ctx context.Context, conn tracklane.StripeConnection) (tracklane.CheckResult, error) {
	unlock, ok, err := e.store.LockConnection(ctx, conn.ID, false)
	if err != nil {
		return tracklane.CheckResult{}, err
	}
	if !ok {
		unlock, _, err = e.store.LockConnection(ctx, conn.ID, true)
		if err != nil {
			return tracklane.CheckResult{}, err
		}
		unlock()
		latest, err := e.store.ConnectionByID(ctx, conn.ID)
		if err != nil {
			return tracklane.CheckResult{}, err
		}
		if latest.LastCheck == nil {
			return tracklane.CheckResult{}, apperr.Errorf(apperr.Internal, "the running check left no result")
		}
		if latest.LastCheck.Error != "" {
			return *latest.LastCheck, apperr.Errorf(apperr.BadGateway, "%s", latest.LastCheck.Error)
		}
		return *latest.LastCheck, nil
	}
	defer unlock()
	return e.checkLocked(ctx, conn.ID)
}

// checkLocked runs a check of a connection whose lock the caller holds,
// and records its outcome.
func (e *Engine) checkLocked(ctx context.Context, id int64) (tracklane.CheckResult, error) {
	conn, err := e.store.ConnectionByID(ctx, id) // fresh cursor
	if err != nil {
		return tracklane.CheckResult{}, err
	}
	if !conn.Active {
		return tracklane.CheckResult{}, apperr.Errorf(apperr.Conflict, "this Stripe account is not connected")
	}
	res := tracklane.CheckResult{StartedAt: e.now().UTC()}
	if err := e.store.StartCheck(ctx, conn.ID, res.StartedAt); err != nil {
		return res, err
	}
	runErr := e.run(ctx, conn, &res)
	finished := e.now().UTC()
	res.FinishedAt = &finished
	var refused *accessError
	switch {
	case errors.As(runErr, &refused):
		e.observer.CheckDone(conn.Livemode, "refused")
		since := res.StartedAt
		if conn.RefusedSince != nil {
			since = conn.RefusedSince.UTC()
		}
		res.RefusedSince = &since
		res.Error = refusedMessage(since, refused)
		e.log.WarnContext(ctx, "stripe refused the check; the connection stays and is tried again at every check",
			"account", conn.AccountID, "livemode", conn.Livemode, "refused_since", since, "err", runErr)
	case runErr != nil:
		e.observer.CheckDone(conn.Livemode, "failed")
		res.Error = apperr.MessageOf(runErr)
		if ctx.Err() != nil {
			res.Error = "the check was interrupted (server shutting down or request cancelled); the next one resumes it"
		} else if apperr.CodeOf(runErr) == apperr.Internal {
			e.log.ErrorContext(ctx, "stripe check failed", "account", conn.AccountID, "livemode", conn.Livemode, "err", runErr)
			res.Error = "internal error while checking; it will be retried"
		} else {
			e.log.WarnContext(ctx, "stripe check failed", "account", conn.AccountID, "livemode", conn.Livemode, "err", runErr)
		}
	default:
		e.observer.CheckDone(conn.Livemode, "ok")
	}
	// Record the outcome even if the request that asked was cancelled.
	if err := e.store.FinishCheck(context.WithoutCancel(ctx), conn.ID, res, finished.Add(e.interval)); err != nil {
		return res, err
	}
	if refused != nil {
		return res, apperr.Errorf(apperr.BadGateway, "%s", res.Error)
	}
	if runErr != nil {
		return res, runErr
	}
	e.log.InfoContext(ctx, "stripe check done", "account", conn.AccountID, "livemode", conn.Livemode,
		"events", res.EventsSeen, "created", res.ConversionsCreated, "updated", res.ConversionsUpdated)
	return res, nil
}

// refusedMessage is a refused check's error, as the app and the dashboard
// show it: since when Stripe has refused, in Stripe's words.
func refusedMessage(since time.Time, refused *accessError) string {
	return fmt.Sprintf("Stripe refused access since %s (tried again at every check): %s",
		since.UTC().Format(time.RFC3339), refused.stripeMsg)
}

// run reads every event the connection has not applied: first a backfill
// (newest first, for a new connection or when the cursor is gone), then
// forward from the cursor, oldest first, then the parked events again.
// Each page is applied with the cursor that follows it, in one
// transaction, so an interrupted check resumes where it stopped.
func (e *Engine) run(ctx context.Context, conn tracklane.StripeConnection, res *tracklane.CheckResult) error {
	c, err := e.client(conn.Livemode)
	if err != nil {
		return err
	}
	e.learnPlatform(ctx, c, conn.Livemode)
	failed, err := e.store.EventFailures(ctx, conn.ID)
	if err != nil {
		return err
	}
	cr := &checkRun{engine: e, client: c, conn: conn, res: res, cur: startCursor(conn),
		in: &interpreter{client: c, store: e.store, conn: conn}, failures: map[string]tracklane.ParkedEvent{}, parkedNow: map[string]bool{}}
	for _, f := range failed {
		cr.failures[f.EventID] = f
	}
	for {
		if err := cr.backfill(ctx); err != nil {
			return err
		}
		// When Stripe has forgotten the cursor event, forward turns the
		// cursor into a backfill since that event's time: read it, then
		// forward again.
		gone, err := cr.forward(ctx)
		if err != nil {
			return err
		}
		if !gone {
			break
		}
	}
	if err := cr.retryParked(ctx); err != nil {
		return err
	}
	// Payments that were waiting for an email link may be attributable now.
	n, err := e.store.AttributeWaiting(ctx, conn.TenantID, "")
	if err != nil {
		return err
	}
	res.ConversionsCreated += n
	return nil
}

// Linked attributes payments that were waiting for this email link, so a
// thank-you page that fires after Stripe Checkout still credits the click
// at once (the next check would otherwise do it).
func (e *Engine) Linked(ctx context.Context, tenantID, email string) {
	if _, err := e.store.AttributeWaiting(context.WithoutCancel(ctx), tenantID, email); err != nil {
		e.log.WarnContext(ctx, "attributing waiting payments after a link", "err", err)
	}
}

// Run checks due connections every tick until ctx ends, and approves
// conversions whose hold period has passed. Connections locked by another
// process are left to it. Checks scheduled under a longer SYNC_INTERVAL
// than the engine's are brought forward first.
func (e *Engine) Run(ctx context.Context) {
	e.logPlatformAccounts(ctx)
	if err := e.store.CapNextChecks(ctx, e.interval); err != nil && ctx.Err() == nil {
		e.log.WarnContext(ctx, "bringing checks forward to SYNC_INTERVAL", "interval", e.interval, "err", err)
	}
	tick := e.interval
	if tick > 10*time.Second {
		tick = 10 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	lastApprove := time.Time{}
	for {
		e.checkDue(ctx)
		if e.now().Sub(lastApprove) >= tick {
			if n, err := e.store.ApproveDue(ctx); err != nil {
				if ctx.Err() == nil {
					e.log.WarnContext(ctx, "approving conversions after their hold period", "err", err)
				}
			} else if n > 0 {
				e.log.InfoContext(ctx, "approved conversions after their hold period", "count", n)
			}
			lastApprove = e.now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) checkDue(ctx context.Context) {
	due, err := e.store.DueConnections(ctx, e.now())
	if err != nil {
		if ctx.Err() == nil {
			e.log.WarnContext(ctx, "listing due Stripe connections", "err", err)
		}
		return
	}
	for _, conn := range due {
		if ctx.Err() != nil {
			return
		}
		unlock, ok, err := e.store.LockConnection(ctx, conn.ID, false)
		if err != nil || !ok {
			continue // someone else is checking it
		}
		e.checkLocked(ctx, conn.ID) // the outcome is recorded on the connection
		unlock()
	}
}
