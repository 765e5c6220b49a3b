package faulttest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/tracklane"
)

// stripeWorld is the whole application in-process (webhooks included) on a
// fresh database, a fake Stripe behind a fault proxy, and a sync engine of
// the test's own whose client gives up on a request after 300 ms and
// starts its backoff at 40 ms (the production client waits 30 s and 250 ms).
type stripeWorld struct {
	t      *testing.T
	app    *apptest.App
	fs     *fakestripe.Server
	px     *fault.Proxy
	engine *stripesync.Engine
	m      merchant
	acct   string
	conn   tracklane.StripeConnection
}

const (
	clientTimeout = 300 * time.Millisecond
	clientBackoff = 40 * time.Millisecond
)

func newStripeWorld(t *testing.T, acct string, shape fakestripe.Shape, emails ...string) *stripeWorld {
	t.Helper()
	fs := newFakeStripe(t)
	fs.SetShape(acct, shape)
	px := newProxy(t, fs)
	app := apptest.New(t, map[string]string{
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_API_BASE": px.URL(), "STRIPE_WEBHOOK_SECRET": liveWebhook,
	})
	w := &stripeWorld{t: t, app: app, fs: fs, px: px, acct: acct,
		engine: newEngine(t, app.Store, px.URL(), clientTimeout, clientBackoff)}
	w.m = provision(t, app.Store, emails...)
	w.conn = connect(t, app.Store, w.m.TenantID, acct)
	return w
}

// check runs a check with the test's engine.
func (w *stripeWorld) check() (tracklane.CheckResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.engine.CheckNow(ctx, w.conn)
}

func (w *stripeWorld) mustCheck() tracklane.CheckResult {
	w.t.Helper()
	res, err := w.check()
	if err != nil {
		w.t.Fatalf("check: %v", err)
	}
	return res
}

// lastError is what the app shows as last_check.error.
func (w *stripeWorld) lastError() string {
	w.t.Helper()
	c, err := w.app.Store.ConnectionByID(context.Background(), w.conn.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if c.LastCheck == nil {
		return "<no check recorded>"
	}
	return c.LastCheck.Error
}

// deliver posts a signed webhook and returns the status.
func (w *stripeWorld) deliver(raw []byte) int {
	w.t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: liveWebhook, Timestamp: time.Now()})
	status, _ := w.app.Do(w.t, "POST", "/stripe/webhook", raw, "Stripe-Signature: "+sp.Header, "Content-Type: application/json")
	return status
}

func (w *stripeWorld) ledger() ledger { return readLedger(w.t, w.app.Store.DB(), w.acct) }

// faultCounter tallies injected faults for the figures.
type faultCounter struct{ n atomic.Int64 }

func (f *faultCounter) inject(fs *fakestripe.Server, ft fakestripe.Fault) {
	n := ft.Count
	if n < 1 {
		n = 1
	}
	f.n.Add(int64(n))
	fs.InjectFault(ft)
}

// retryGaps returns, for requests to path that were retried (same query),
// the pauses between one attempt's end and the next one's start.
func retryGaps(calls []fault.ProxyCall, path string) [][]time.Duration {
	byQuery := map[string][]fault.ProxyCall{}
	var order []string
	for _, c := range calls {
		if !strings.HasPrefix(c.Path, path) {
			continue
		}
		k := c.Path + "?" + c.Query
		if _, ok := byQuery[k]; !ok {
			order = append(order, k)
		}
		byQuery[k] = append(byQuery[k], c)
	}
	var out [][]time.Duration
	for _, k := range order {
		cs := byQuery[k]
		if len(cs) < 2 {
			continue
		}
		var gaps []time.Duration
		for i := 1; i < len(cs); i++ {
			gaps = append(gaps, cs[i].Start.Sub(cs[i-1].End))
		}
		out = append(out, gaps)
	}
	return out
}

// checkBackoff fails unless each pause is at least the backoff doubled per
// attempt.
func checkBackoff(t *testing.T, what string, gaps [][]time.Duration) {
	t.Helper()
	if len(gaps) == 0 {
		t.Errorf("%s: no retried request seen", what)
	}
	for _, g := range gaps {
		for i, d := range g {
			// The gap is measured at the proxy, from the end it saw of the
			// abandoned attempt: on a loaded machine that end is seen late,
			// so a quarter of slack keeps the check about the backoff.
			if min := clientBackoff << i; d < min*3/4 {
				t.Errorf("%s: pause before attempt %d was %s, want ≥ %s (exponential backoff): %v", what, i+2, d, min, g)
			}
		}
	}
}

func TestStripeTimeouts(t *testing.T) {
	t.Parallel()
	const email = "slow@customer.example"
	const guest = "guest@customer.example"
	w := newStripeWorld(t, "acct_timeouts", fakestripe.Shape2023, email, guest)
	t0 := time.Now().Add(time.Minute)
	cus := w.fs.CreateCustomer(w.acct, true, email, t0)
	for i := range 150 {
		w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0.Add(time.Duration(i) * time.Second)})
	}
	// An invoice-less charge without an email: the customer must be read.
	g := w.fs.CreateCustomer(w.acct, true, guest, t0)
	w.fs.Charge(w.acct, true, fakestripe.ChargeParams{Customer: g, Amount: 700, At: t0.Add(time.Hour)})
	var faults faultCounter
	// The second page hangs twice longer than the client waits; the
	// customer read once.
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/events", Delay: 2 * time.Second, Count: 2, AfterCalls: 1})
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/customers", Delay: 2 * time.Second, Count: 1})
	start := time.Now()
	res := w.mustCheck()
	took := time.Since(start)
	if res.ConversionsCreated != 151 {
		t.Errorf("check through timeouts created %d conversions, want 151", res.ConversionsCreated)
	}
	checkBackoff(t, "timeouts", retryGaps(w.px.Calls(), "/v1/"))

	// Stripe hangs for longer than the retries last: the check fails with a
	// message that says so, and keeps its place.
	for i := range 50 {
		w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0.Add(2*time.Hour + time.Duration(i)*time.Second)})
	}
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/events", Delay: 2 * time.Second, Count: 4})
	_, err := w.check()
	if err == nil {
		t.Fatalf("a check against a hanging Stripe succeeded")
	}
	msg := w.lastError()
	if !strings.Contains(strings.ToLower(msg), "stripe") {
		t.Errorf("last_check.error after Stripe timed out = %q (error %v): the merchant cannot tell that Stripe did not answer", msg, err)
	}
	w.fs.ClearFaults()
	w.mustCheck()
	if e := w.lastError(); e != "" {
		t.Errorf("the error stays after a good check: %q", e)
	}
	ids, _ := handledEvents(w.fs, w.acct)
	l := w.ledger()
	lost, doubled := checkExactlyOnce(t, l, 201, ids)
	t.Logf("figures: Stripe requests %d, faults injected %d (timeouts), first check %s, last_check.error while hanging %q, events applied %d/%d, conversions %d, lost %d, doubled %d",
		len(w.px.Calls()), faults.n.Load(), took.Round(time.Millisecond), msg, l.Events, len(ids), l.Conversions, lost, doubled)
}

func TestStripeRateLimitAndOutageStatus(t *testing.T) {
	t.Parallel()
	const email = "busy@customer.example"
	const guest = "walkin@customer.example"
	w := newStripeWorld(t, "acct_ratelimit", fakestripe.Shape2023, email, guest)
	t0 := time.Now().Add(time.Minute)
	cus := w.fs.CreateCustomer(w.acct, true, email, t0)
	for i := range 120 {
		w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 2500, At: t0.Add(time.Duration(i) * time.Second)})
	}
	var faults faultCounter
	// Rate limited for longer than the retries: a clear status, nothing
	// applied twice later.
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/events", Status: http.StatusTooManyRequests, Count: 4, AfterCalls: 1})
	_, err := w.check()
	if apperr.CodeOf(err) != apperr.BadGateway {
		t.Errorf("rate limited check: %v, want bad_gateway", err)
	}
	rateMsg := w.lastError()
	if !strings.Contains(strings.ToLower(rateMsg), "rate limit") {
		t.Errorf("last_check.error = %q, want it to name Stripe's rate limit", rateMsg)
	}
	checkBackoff(t, "429", retryGaps(w.px.Calls(), "/v1/events"))
	partial := w.ledger().Events
	if partial == 0 || partial >= 240 {
		t.Errorf("%d events applied before the rate limit, want the first page only", partial)
	}

	// A Stripe outage on an object read in the middle of a page: the page
	// is not applied at all, and the next check applies it once.
	g := w.fs.CreateCustomer(w.acct, true, guest, t0)
	w.fs.Charge(w.acct, true, fakestripe.ChargeParams{Customer: g, Amount: 900, At: t0.Add(time.Hour)})
	w.fs.ClearFaults()
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/customers", Status: http.StatusServiceUnavailable, Count: 4})
	_, err = w.check()
	if apperr.CodeOf(err) != apperr.BadGateway {
		t.Errorf("check during an outage: %v, want bad_gateway", err)
	}
	outageMsg := w.lastError()
	if !strings.Contains(outageMsg, "503") {
		t.Errorf("last_check.error = %q, want Stripe's 503", outageMsg)
	}
	before := w.ledger()
	res := w.mustCheck()
	if w.lastError() != "" {
		t.Errorf("error kept after a good check: %q", w.lastError())
	}
	ids, _ := handledEvents(w.fs, w.acct)
	l := w.ledger()
	lost, doubled := checkExactlyOnce(t, l, 121, ids)
	if res.EventsSeen != len(ids)-before.Events {
		t.Errorf("the recovering check read %d events, want the %d not applied yet", res.EventsSeen, len(ids)-before.Events)
	}
	t.Logf("figures: Stripe requests %d, faults injected %d (429, 503), status shown %q / %q, events applied %d/%d, conversions %d, lost %d, doubled %d",
		len(w.px.Calls()), faults.n.Load(), rateMsg, outageMsg, l.Events, len(ids), l.Conversions, lost, doubled)
}

func TestStripePagesCutShort(t *testing.T) {
	t.Parallel()
	const email = "pages@customer.example"
	w := newStripeWorld(t, "acct_cut", fakestripe.Shape2023, email)
	t0 := time.Now().Add(time.Minute)
	cus := w.fs.CreateCustomer(w.acct, true, email, t0)
	sub := w.fs.CreateSubscription(w.acct, true, cus, t0)
	var charges []string
	for i := range 60 {
		_, ch := w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 2000, At: t0.Add(time.Duration(i) * time.Minute)})
		charges = append(charges, ch)
	}
	var faults faultCounter
	// Stripe answers 7 events per page whatever the limit (has_more set),
	// two answers are cut off mid-body, and one is truncated JSON.
	w.px.SetEventLimit(7)
	w.px.CutEvents(2)
	faults.n.Add(2)
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/events", Truncate: true, Count: 1, AfterCalls: 5})
	res := w.mustCheck()
	if res.ConversionsCreated != 60 {
		t.Errorf("first check: %+v, want 60 conversions", res)
	}
	// Forward reading, through short and cut pages too.
	for i := range 30 {
		w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 2000, At: t0.Add(2*time.Hour + time.Duration(i)*time.Minute)})
	}
	w.fs.Refund(w.acct, charges[0], 500, t0.Add(3*time.Hour))
	w.px.CutEvents(1)
	faults.n.Add(1)
	res = w.mustCheck()
	if res.ConversionsCreated != 30 || res.ConversionsUpdated != 1 {
		t.Errorf("second check: %+v, want 30 created and 1 updated", res)
	}
	cut := 0
	for _, c := range w.px.Calls() {
		if c.Cut {
			cut++
		}
	}
	if cut != 3 {
		t.Errorf("%d answers cut, want 3", cut)
	}
	ids, _ := handledEvents(w.fs, w.acct)
	l := w.ledger()
	lost, doubled := checkExactlyOnce(t, l, 90, ids)
	if n := queryInt(t, w.app.Store.DB(), `SELECT count(*) FROM conversions WHERE amount = 1500 AND commission = 300`); n != 1 {
		t.Errorf("the refunded conversion is not 15.00/3.00 (%d found)", n)
	}
	t.Logf("figures: Stripe requests %d (pages of 7 events), faults injected %d (2+1 cut connections, 1 truncated JSON), events applied %d/%d, conversions %d, lost %d, doubled %d",
		len(w.px.Calls()), faults.n.Load(), l.Events, len(ids), l.Conversions, lost, doubled)
}

func TestStripeDeletedObjects(t *testing.T) {
	t.Parallel()
	for _, shape := range []fakestripe.Shape{fakestripe.Shape2023, fakestripe.ShapeNew} {
		t.Run(shape.String(), func(t *testing.T) {
			t.Parallel()
			const (
				gone     = "gone@customer.example"     // deleted before Tracklane ever read it
				loyal    = "loyal@customer.example"    // attributed, then deleted
				refunded = "refunded@customer.example" // deleted, then refunded
			)
			w := newStripeWorld(t, "acct_deleted", shape, gone, loyal, refunded)
			t0 := time.Now().Add(time.Minute)
			var faults faultCounter

			// A charge without an email whose customer is gone: nothing to
			// attribute it to, and the check must not fail on the 404.
			g := w.fs.CreateCustomer(w.acct, true, gone, t0)
			w.fs.Charge(w.acct, true, fakestripe.ChargeParams{Customer: g, Amount: 800, At: t0})
			w.fs.DeleteObject(w.acct, g)
			faults.n.Add(1)

			// An attributed customer deleted later still brings its payments.
			l := w.fs.CreateCustomer(w.acct, true, loyal, t0)
			w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: l, AmountPaid: 4000, At: t0.Add(time.Second)})
			r := w.fs.CreateCustomer(w.acct, true, refunded, t0)
			_, rch := w.fs.PayInvoice(w.acct, true, fakestripe.InvoiceParams{Customer: r, AmountPaid: 6000, At: t0.Add(2 * time.Second)})
			res := w.mustCheck()
			if res.ConversionsCreated != 2 {
				t.Errorf("first check: %+v, want 2 conversions", res)
			}
			w.fs.DeleteObject(w.acct, l)
			w.fs.DeleteObject(w.acct, r)
			faults.n.Add(2)
			w.fs.Charge(w.acct, true, fakestripe.ChargeParams{Customer: l, Amount: 1500, At: t0.Add(time.Hour)})
			w.fs.Refund(w.acct, rch, 2000, t0.Add(time.Hour))
			res = w.mustCheck()
			if res.ConversionsCreated != 1 || res.ConversionsUpdated != 1 {
				t.Errorf("after deletions: %+v, want 1 created (the loyal customer's charge) and 1 updated (the refund)", res)
			}
			if e := w.lastError(); e != "" {
				t.Errorf("last_check.error = %q after deleted objects", e)
			}
			db := w.app.Store.DB()
			if n := queryInt(t, db, `SELECT count(*) FROM conversions WHERE external_cid = $1 AND amount = 4000 AND commission = 800`, refunded); n != 1 {
				t.Errorf("the partly refunded conversion is not 40.00 / 8.00")
			}
			if n := queryInt(t, db, `SELECT count(*) FROM conversions WHERE external_cid = $1`, gone); n != 0 {
				t.Errorf("a payment of a deleted, never-read customer was attributed")
			}
			ids, _ := handledEvents(w.fs, w.acct)
			led := w.ledger()
			lost, doubled := checkExactlyOnce(t, led, 3, ids)
			t.Logf("figures (%s): Stripe requests %d, objects deleted %d, events applied %d/%d, conversions %d, lost %d, doubled %d",
				shape, len(w.px.Calls()), faults.n.Load(), led.Events, len(ids), led.Conversions, lost, doubled)
		})
	}
}

// TestWebhookDuringStripeOutage delivers a webhook that needs a Stripe read
// (an invoice-less charge that names no email, of a customer not
// attributed yet: the customer is read) while Stripe fails: the webhook
// answers 503 so Stripe delivers it again, nothing is applied; the
// redelivery applies it once, and polling adds nothing. (A newer-shape
// charge whose invoice is not known is left to the next check instead.)
func TestWebhookDuringStripeOutage(t *testing.T) {
	t.Parallel()
	const email = "hook@customer.example"
	w := newStripeWorld(t, "acct_hook_outage", fakestripe.Shape2023, email)
	t0 := time.Now().Add(time.Minute)
	cus := w.fs.CreateCustomer(w.acct, true, email, t0)
	w.fs.Charge(w.acct, true, fakestripe.ChargeParams{Customer: cus, Amount: 1200, At: t0})
	ids, raw := handledEvents(w.fs, w.acct) // customer.created, charge.succeeded
	charge := ""
	for _, id := range ids {
		var ev struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw[id], &ev) == nil && ev.Type == "charge.succeeded" {
			charge = id
		}
	}
	if charge == "" {
		t.Fatalf("no charge.succeeded among %d events", len(ids))
	}
	var faults faultCounter
	faults.inject(w.fs, fakestripe.Fault{PathPrefix: "/v1/customers", Status: http.StatusInternalServerError, Count: 4})
	if s := w.deliver(raw[charge]); s != http.StatusServiceUnavailable {
		t.Errorf("webhook during a Stripe outage answered %d, want 503 (so Stripe retries)", s)
	}
	if l := w.ledger(); l.Events != 0 || l.Conversions != 0 {
		t.Errorf("a webhook that failed left %d events, %d conversions", l.Events, l.Conversions)
	}
	deliveries := 1
	for range 3 { // the redelivery, and Stripe delivering twice
		if s := w.deliver(raw[charge]); s != http.StatusOK {
			t.Errorf("redelivery answered %d", s)
		}
		deliveries++
	}
	res := w.mustCheck()
	if res.ConversionsCreated != 0 || res.ConversionsUpdated != 0 {
		t.Errorf("polling re-applied the webhook's event: %+v", res)
	}
	l := w.ledger()
	lost, doubled := checkExactlyOnce(t, l, 1, ids)
	t.Logf("figures: webhook deliveries %d, Stripe requests %d, faults injected %d (500), events applied %d/1, conversions %d, lost %d, doubled %d",
		deliveries, len(w.px.Calls()), faults.n.Load(), l.Events, l.Conversions, lost, doubled)
}
