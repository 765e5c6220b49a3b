package faulttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// orderStory is one Stripe account's history, played once on a fake
// Stripe; every world below reads the very same events (same ids), each
// into its own database, delivered in a different order and mix of
// webhooks and polling.
type orderStory struct {
	fs     *fakestripe.Server
	acct   string
	emails []string
	ids    []string // handled events, oldest first
	raw    map[string]json.RawMessage
	types  map[string]string
}

func playOrderStory(t *testing.T) *orderStory {
	fs := newFakeStripe(t)
	s := &orderStory{fs: fs, acct: "acct_any_order", types: map[string]string{}}
	s.emails = []string{"jo@customer.example", "kim@customer.example", "lee@customer.example", "max@customer.example", "ned@customer.example"}
	t0 := time.Now().Add(10 * time.Minute) // after every world's click
	a := s.acct
	// jo: a subscription of three invoices, the first partly refunded,
	// cancelled after the last.
	jo := fs.CreateCustomer(a, true, s.emails[0], t0)
	sub := fs.CreateSubscription(a, true, jo, t0)
	_, jo1 := fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: jo, Subscription: sub, AmountPaid: 3000, At: t0})
	fs.Refund(a, jo1, 1000, t0.Add(time.Hour))
	fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: jo, Subscription: sub, AmountPaid: 3000, At: t0.AddDate(0, 1, 0)})
	fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: jo, Subscription: sub, AmountPaid: 3000, Tax: 500, At: t0.AddDate(0, 1, 20)})
	fs.CancelSubscription(a, sub, t0.AddDate(0, 1, 21))
	// kim: a dispute lost.
	kim := fs.CreateCustomer(a, true, s.emails[1], t0)
	_, kimCh := fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: kim, AmountPaid: 5000, At: t0.Add(time.Minute)})
	dp := fs.CreateDispute(a, kimCh, t0.Add(2*time.Hour))
	fs.CloseDispute(a, dp, "lost", t0.Add(30*time.Hour))
	// lee: a dispute won.
	lee := fs.CreateCustomer(a, true, s.emails[2], t0)
	_, leeCh := fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: lee, AmountPaid: 4000, At: t0.Add(2 * time.Minute)})
	dp = fs.CreateDispute(a, leeCh, t0.Add(3*time.Hour))
	fs.CloseDispute(a, dp, "won", t0.Add(40*time.Hour))
	// max: an invoice-less charge, fully refunded.
	maxCus := fs.CreateCustomer(a, true, s.emails[3], t0)
	maxCh := fs.Charge(a, true, fakestripe.ChargeParams{Customer: maxCus, BillingEmail: s.emails[3], Amount: 2500, At: t0.Add(3 * time.Minute)})
	fs.Refund(a, maxCh, 0, t0.Add(5*time.Hour))
	// ned: two partial refunds.
	ned := fs.CreateCustomer(a, true, s.emails[4], t0)
	_, nedCh := fs.PayInvoice(a, true, fakestripe.InvoiceParams{Customer: ned, AmountPaid: 8000, At: t0.Add(4 * time.Minute)})
	fs.Refund(a, nedCh, 1000, t0.Add(6*time.Hour))
	fs.Refund(a, nedCh, 3000, t0.Add(7*time.Hour))

	s.ids, s.raw = handledEvents(fs, a)
	for id, raw := range s.raw {
		var ev struct {
			Type string `json:"type"`
		}
		json.Unmarshal(raw, &ev)
		s.types[id] = ev.Type
	}
	return s
}

// orderWorld is one fresh application reading the story.
type orderWorld struct {
	t   *testing.T
	app *apptest.App
	px  interface{ Hide(...string) }
	s   *orderStory
}

func (s *orderStory) world(t *testing.T) *orderWorld {
	px := newProxy(t, s.fs)
	app := apptest.New(t, map[string]string{
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_API_BASE": px.URL(), "STRIPE_WEBHOOK_SECRET": liveWebhook,
	})
	m := provision(t, app.Store, s.emails...)
	connect(t, app.Store, m.TenantID, s.acct)
	return &orderWorld{t: t, app: app, px: px, s: s}
}

func (w *orderWorld) deliver(ids ...string) {
	w.t.Helper()
	for _, id := range ids {
		raw := w.s.raw[id]
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: liveWebhook, Timestamp: time.Now()})
		if status, body := w.app.Do(w.t, "POST", "/stripe/webhook", raw, "Stripe-Signature: "+sp.Header, "Content-Type: application/json"); status != http.StatusOK {
			w.t.Fatalf("webhook %s (%s): %d %s", id, w.s.types[id], status, body)
		}
	}
}

// poll runs a check that does not see the hidden events.
func (w *orderWorld) poll(hidden ...string) {
	w.t.Helper()
	w.px.Hide(hidden...)
	defer w.px.Hide()
	conn, err := w.app.Store.Connection(context.Background(), w.s.acct, true)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.app.Engine.CheckNow(context.Background(), conn); err != nil {
		w.t.Fatalf("check: %v", err)
	}
}

func (w *orderWorld) ledger() ledger { return readLedger(w.t, w.app.Store.DB(), w.s.acct) }

// TestEventsInAnyOrderMixed plays the same story into fresh databases in
// many orders — webhooks in order (the reference), polling alone, webhooks
// reversed, an adversarial mix (refunds, dispute closings and the
// cancellation first, by webhook, then polling), and random permutations
// with a fixed seed that split the events between webhooks (some delivered
// twice) and polling (which does not see the events that will come by
// webhook later) — and expects the same conversions, amounts and
// commissions every time, each event recorded once.
func TestEventsInAnyOrderMixed(t *testing.T) {
	t.Parallel()
	s := playOrderStory(t)
	want := len(s.ids)

	ref := s.world(t)
	ref.deliver(s.ids...)
	reference := ref.ledger()
	if reference.Conversions != 7 {
		t.Fatalf("reference: %d conversions, want 7: %v", reference.Conversions, reference.State)
	}
	joined := strings.Join(reference.State, "\n")
	for _, w := range []string{" refunded 0 0", " pending 4000 800", " cancelled 2500 500"} {
		if !strings.Contains(joined, w) {
			t.Errorf("reference end state lacks %q:\n%s", w, joined)
		}
	}
	check := func(name string, l ledger) (lost, doubled int) {
		t.Helper()
		lost, doubled = checkExactlyOnce(t, l, reference.Conversions, s.ids)
		if got := strings.Join(l.State, "\n"); got != joined {
			t.Errorf("%s: end state differs from in-order delivery:\n%s\nwant:\n%s", name, got, joined)
		}
		return lost, doubled
	}
	deliveries, polls, scenarios, lost, doubled := want, 0, 1, 0, 0
	tally := func(l, d int) { lost += l; doubled += d; scenarios++ }

	// Polling alone.
	w := s.world(t)
	w.poll()
	polls++
	tally(check("polling only", w.ledger()))

	// Webhooks newest first: every refund, dispute and the cancellation
	// before its payment.
	w = s.world(t)
	for i := len(s.ids) - 1; i >= 0; i-- {
		w.deliver(s.ids[i])
	}
	deliveries += want
	tally(check("webhooks reversed", w.ledger()))

	// Adversarial mix: the "late" facts by webhook first, then polling,
	// which must not see them again as new.
	w = s.world(t)
	var late []string
	for _, id := range s.ids {
		switch s.types[id] {
		case "charge.refunded", "charge.dispute.closed", "customer.subscription.deleted":
			late = append(late, id)
		}
	}
	w.deliver(late...)
	deliveries += len(late)
	w.poll()
	polls++
	tally(check("late facts by webhook, then polling", w.ledger()))

	// Random mixes, fixed seed.
	rng := rand.New(rand.NewPCG(20261124, 7))
	for k := range 5 {
		w := s.world(t)
		perm := append([]string(nil), s.ids...)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		nFirst := rng.IntN(len(perm) + 1)
		first := perm[:nFirst]
		var hidden []string
		for _, id := range perm[nFirst:] {
			if rng.IntN(2) == 0 {
				hidden = append(hidden, id)
			}
		}
		// Webhooks first (some twice), then a check that cannot see the
		// hidden events, then those by webhook in random order with random
		// repeats, then a last check that sees everything.
		for _, id := range first {
			w.deliver(id)
			deliveries++
			if rng.IntN(4) == 0 {
				w.deliver(id)
				deliveries++
			}
		}
		w.poll(hidden...)
		rng.Shuffle(len(hidden), func(i, j int) { hidden[i], hidden[j] = hidden[j], hidden[i] })
		w.deliver(hidden...)
		deliveries += len(hidden)
		for range rng.IntN(4) {
			w.deliver(s.ids[rng.IntN(len(s.ids))])
			deliveries++
		}
		w.poll()
		polls += 2
		tally(check(fmt.Sprintf("random mix %d (%d webhooks first, %d hidden from polling)", k, nFirst, len(hidden)), w.ledger()))
	}
	t.Logf("figures: %d events in the story, %d scenarios, webhook deliveries %d, checks %d, events applied per scenario %d, conversions %d, end states differing 0 expected, lost %d, doubled %d",
		want, scenarios, deliveries, polls, want, reference.Conversions, lost, doubled)
}
