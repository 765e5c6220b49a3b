// Command syncbench measures the Stripe sync on a backlog: it builds 10,000
// billing events for one connected account in the fake Stripe (served over
// loopback HTTP, 100 per page), connects the account to a tenant of a fresh
// database whose clicks and email links attribute part of the customers,
// and times one check (Engine.CheckNow) — the first check of a new
// connection, which reads and applies the whole backlog. It counts the
// Stripe API calls the check made, splits the time between reading Stripe
// and the store, and measures a baseline in the same run: paging through
// the same events with a plain stripe-go client (no interpretation, no
// database). Then a steady state: hours of billing after the first check,
// each event pushed to the webhook as it happens and an hourly check after
// each hour, counting every Stripe call either makes. It does this for the
// 2023-10-16 event shape and for the newer one, and prints a JSON result.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/tracklane"
)

const liveKey = "sk_live_bench_platform"

// Run is the result for one event shape.
type Run struct {
	Shape              string         `json:"shape"`
	Events             int            `json:"events"`
	Customers          int            `json:"customers"`
	LinkedCustomers    int            `json:"linked_customers"`
	CheckSeconds       float64        `json:"check_s"`
	EventsPerSecond    float64        `json:"events_per_s"`
	StripeCalls        int            `json:"stripe_calls"`
	CallsPer100        float64        `json:"calls_per_100_events"`
	CallsByRoute       map[string]int `json:"calls_by_route"`
	ListOnlySeconds    float64        `json:"baseline_list_only_s"`
	ListOnlyCalls      int            `json:"baseline_list_only_calls"`
	Ratio              float64        `json:"ratio_check_to_list_only"`
	StoreSeconds       float64        `json:"store_s"` // ApplyEvents + lookups the engine asked the store for
	ApplySeconds       float64        `json:"apply_events_s"`
	ApplyCalls         int            `json:"apply_events_calls"`
	LookupSeconds      float64        `json:"store_lookups_s"`
	Lookups            int            `json:"store_lookups"`
	ConversionsCreated int            `json:"conversions_created"`
	ConversionsUpdated int            `json:"conversions_updated"`
	Conversions        int64          `json:"conversions_in_db"`
	RecheckCalls       int            `json:"recheck_calls"` // a second check with nothing new
	RecheckSeconds     float64        `json:"recheck_s"`
	Unexpected         int            `json:"unexpected_calls"`
	Steady             *Steady        `json:"steady_state,omitempty"`
}

// Steady is the steady-state phase: Hours of billing after the first
// check, EventsPerHour events each hour (of the types a check reads), each
// pushed to the webhook as it happens, then the hourly check.
type Steady struct {
	Hours          int            `json:"hours"`
	EventsPerHour  int            `json:"events_per_hour"`
	Events         int            `json:"events"`
	StripeCalls    int            `json:"stripe_calls"` // webhooks' and checks' together
	CallsPer100    float64        `json:"calls_per_100_events"`
	CallsByRoute   map[string]int `json:"calls_by_route"`
	WebhookCalls   int            `json:"webhook_calls"` // of StripeCalls, made while applying webhooks
	Deferred       int            `json:"webhooks_deferred"`
	WebhookSeconds float64        `json:"webhook_s"`
	CheckSeconds   float64        `json:"checks_s"`
	SlowestCheck   float64        `json:"slowest_check_s"`
	Created        int64          `json:"conversions_created"` // by webhooks and checks
}

func main() {
	events := flag.Int("events", 10000, "billing events in the backlog (2023-10-16 shape)")
	newEvents := flag.Int("new-events", 0, "billing events in the backlog for the newer shape (0 = -events)")
	shapes := flag.String("shapes", "2023,new", "event shapes to run: 2023, new")
	out := flag.String("out", "", "write the JSON result here too")
	cpuprofile := flag.String("cpuprofile", "", "CPU profile of the 2023-shape check")
	steadyHours := flag.Int("steady-hours", 24, "hours of the steady state after the first check (0: none)")
	steadyEvents := flag.Int("steady-events", 500, "events per hour in the steady state")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("syncbench: ")
	ctx := context.Background()

	var runs []Run
	for _, s := range strings.Split(*shapes, ",") {
		shape := fakestripe.Shape2023
		if s == "new" {
			shape = fakestripe.ShapeNew
		}
		prof, n := "", *events
		if shape == fakestripe.Shape2023 {
			prof = *cpuprofile
		} else if *newEvents > 0 {
			n = *newEvents
		}
		r, err := runShape(ctx, shape, n, prof, *steadyHours, *steadyEvents)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("%s: %d events in %.2f s (%.0f/s), %d Stripe calls (%.2f per 100), list-only baseline %.2f s (ratio %.1f), store %.2f s, created %d",
			r.Shape, r.Events, r.CheckSeconds, r.EventsPerSecond, r.StripeCalls, r.CallsPer100, r.ListOnlySeconds, r.Ratio, r.StoreSeconds, r.ConversionsCreated)
		if st := r.Steady; st != nil {
			log.Printf("%s steady state: %d h × %d events, %d Stripe calls (%.2f per 100; %d by webhooks, %d webhooks left to the check), %v",
				r.Shape, st.Hours, st.EventsPerHour, st.StripeCalls, st.CallsPer100, st.WebhookCalls, st.Deferred, st.CallsByRoute)
		}
		runs = append(runs, r)
	}
	b, _ := json.MarshalIndent(map[string]any{"started": time.Now().UTC(), "load_average": benchenv.LoadAverage(), "runs": runs}, "", "  ")
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	os.Stdout.Write(append(b, '\n'))
}

func runShape(ctx context.Context, shape fakestripe.Shape, nEvents int, cpuprofile string, steadyHours, steadyEvents int) (Run, error) {
	r := Run{Shape: shape.APIVersion(), CallsByRoute: map[string]int{}}
	dbName := "tracklane_bench_sync"
	dsn, err := benchenv.FreshDatabase(ctx, dbName)
	if err != nil {
		return r, err
	}
	defer benchenv.DropDatabase(context.Background(), dbName)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, dsn, quiet)
	if err != nil {
		return r, err
	}
	defer st.Close()

	acc := account.Service{Store: st, BcryptCost: 4}
	t, err := acc.CreateTenant(ctx, account.NewTenantInput{Name: "Sync Bench", Email: "owner@sync.example",
		Password: "correct horse battery", Website: "https://shop.example"})
	if err != nil {
		return r, err
	}
	aff, err := acc.CreateAffiliate(ctx, t.Tenant.ID, account.AffiliateInput{Name: "Partner", Email: "partner@sync.example", Code: "sync-aff"})
	if err != nil {
		return r, err
	}

	fs := fakestripe.New()
	defer fs.Close()
	fs.AddKey(liveKey)
	const acct = "acct_syncbench"
	fs.SetShape(acct, shape)
	bl := newBilling(fs, acct, shape)
	linked, customers := bl.backlog(nEvents)
	r.Customers, r.LinkedCustomers = customers, len(linked)
	r.Events = countListed(fs, acct)

	// The linked customers clicked 29 days ago and gave their email.
	clickAt := time.Now().Add(-29 * 24 * time.Hour).UTC()
	for _, email := range linked {
		cid := ident.ClickID()
		if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: t.Tenant.ID, AffiliateID: aff.ID, CreatedAt: clickAt,
			LandingURL: "https://shop.example/", VisitorHash: []byte(cid)}}); err != nil {
			return r, err
		}
		if _, err := st.CreateLink(ctx, t.Tenant.ID, cid, email, ""); err != nil {
			return r, err
		}
	}

	// Baseline: page through the same events with plain stripe-go.
	fs.ResetCalls()
	t0 := time.Now()
	n, err := listOnly(ctx, fs.URL(), acct)
	if err != nil {
		return r, err
	}
	r.ListOnlySeconds, r.ListOnlyCalls = time.Since(t0).Seconds(), fs.CallCount()
	if n != r.Events {
		return r, fmt.Errorf("list-only read %d events, want %d", n, r.Events)
	}

	conn, err := st.Connect(ctx, t.Tenant.ID, acct, true, "usr_bench", "…abcd")
	if err != nil {
		return r, err
	}
	timed := &timedStore{Store: st}
	live := stripesync.NewClient(stripesync.ClientOptions{Key: liveKey, BaseURL: fs.URL()})
	engine := stripesync.New(timed, live, nil, time.Hour, quiet, time.Now)

	fs.ResetCalls()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return r, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, err
		}
	}
	t0 = time.Now()
	res, err := engine.CheckNow(ctx, conn)
	r.CheckSeconds = time.Since(t0).Seconds()
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return r, fmt.Errorf("check: %w", err)
	}
	if res.EventsSeen != r.Events {
		return r, fmt.Errorf("the check saw %d events, want %d", res.EventsSeen, r.Events)
	}
	calls := fs.Calls()
	r.StripeCalls = len(calls)
	countRoutes(r.CallsByRoute, calls)
	r.Unexpected = len(fs.Unexpected())
	r.CallsPer100 = float64(r.StripeCalls) * 100 / float64(r.Events)
	r.EventsPerSecond = float64(r.Events) / r.CheckSeconds
	r.Ratio = r.CheckSeconds / r.ListOnlySeconds
	r.ApplySeconds, r.ApplyCalls = timed.apply.Seconds(), timed.applyN
	r.LookupSeconds, r.Lookups = timed.lookup.Seconds(), timed.lookupN
	r.StoreSeconds = r.ApplySeconds + r.LookupSeconds
	r.ConversionsCreated, r.ConversionsUpdated = res.ConversionsCreated, res.ConversionsUpdated
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM conversions`).Scan(&r.Conversions); err != nil {
		return r, err
	}

	// A second check with nothing new: what an idle account costs.
	fs.ResetCalls()
	t0 = time.Now()
	if _, err := engine.CheckNow(ctx, conn); err != nil {
		return r, fmt.Errorf("recheck: %w", err)
	}
	r.RecheckSeconds, r.RecheckCalls = time.Since(t0).Seconds(), fs.CallCount()

	if steadyHours > 0 {
		steady, err := steadyState(ctx, engine, st, fs, bl, t.Tenant.ID, aff.ID, conn, steadyHours, steadyEvents)
		if err != nil {
			return r, fmt.Errorf("steady state: %w", err)
		}
		r.Steady = steady
	}
	r.Unexpected = len(fs.Unexpected())
	return r, nil
}

// countRoutes counts calls by route, ids replaced by {id}.
func countRoutes(into map[string]int, calls []fakestripe.Call) {
	for _, c := range calls {
		route := c.Path
		if i := strings.LastIndex(route, "/"); strings.Count(route, "/") > 2 && i > 0 {
			route = route[:i] + "/{id}"
		}
		into[route]++
	}
}

// steadyState plays hours of billing after the first check: each hour
// brings eventsPerHour events (renewals, new subscribers, refunds,
// cancellations, a dispute, an invoice-less purchase), each pushed to the
// webhook as it happens (oldest first, as Stripe sends them), then the
// hourly check reads the hour. Every Stripe call either makes is counted.
func steadyState(ctx context.Context, engine *stripesync.Engine, st *store.Store, fs *fakestripe.Server, bl *billing,
	tenantID, affiliateID string, conn tracklane.StripeConnection, hours, eventsPerHour int) (*Steady, error) {
	out := &Steady{Hours: hours, EventsPerHour: eventsPerHour, CallsByRoute: map[string]int{}}
	delivered := map[string]bool{}
	for _, raw := range fs.Events(conn.AccountID) {
		var ev stripesync.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		delivered[ev.ID] = true
	}
	var before int64
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM conversions`).Scan(&before); err != nil {
		return nil, err
	}
	start := bl.latest.Add(time.Hour).Truncate(time.Hour)
	for h := 0; h < hours; h++ {
		from := start.Add(time.Duration(h) * time.Hour)
		// The new subscribers of the hour clicked an hour before.
		for _, email := range bl.hour(from, eventsPerHour) {
			cid := ident.ClickID()
			if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: tenantID, AffiliateID: affiliateID,
				CreatedAt: from.Add(-time.Hour).UTC(), LandingURL: "https://shop.example/", VisitorHash: []byte(cid)}}); err != nil {
				return nil, err
			}
			if _, err := st.CreateLink(ctx, tenantID, cid, email, ""); err != nil {
				return nil, err
			}
		}
		fs.ResetCalls()
		evs := fs.Events(conn.AccountID)
		t0 := time.Now()
		for i := len(evs) - 1; i >= 0; i-- { // oldest first
			var ev stripesync.Event
			if err := json.Unmarshal(evs[i], &ev); err != nil {
				return nil, err
			}
			if delivered[ev.ID] {
				continue
			}
			delivered[ev.ID] = true
			if !slices.Contains(stripesync.EventTypes, ev.Type) {
				continue // not subscribed: never delivered
			}
			out.Events++
			outcome, err := engine.ApplyWebhookEvent(ctx, ev)
			if err != nil {
				return nil, fmt.Errorf("webhook %s %s: %w", ev.Type, ev.ID, err)
			}
			if outcome == stripesync.WebhookDeferred {
				out.Deferred++
			}
		}
		out.WebhookSeconds += time.Since(t0).Seconds()
		out.WebhookCalls += fs.CallCount()
		t0 = time.Now()
		if _, err := engine.CheckNow(ctx, conn); err != nil {
			return nil, fmt.Errorf("hourly check: %w", err)
		}
		took := time.Since(t0).Seconds()
		out.CheckSeconds += took
		out.SlowestCheck = max(out.SlowestCheck, took)
		calls := fs.Calls()
		out.StripeCalls += len(calls)
		countRoutes(out.CallsByRoute, calls)
	}
	out.CallsPer100 = float64(out.StripeCalls) * 100 / float64(out.Events)
	var after int64
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM conversions`).Scan(&after); err != nil {
		return nil, err
	}
	out.Created = after - before
	return out, nil
}

// billing plays an account's billing in the fake: customers with monthly
// subscriptions paying invoices, some refunds, disputes and cancellations.
// It counts the events of the types a check reads as it makes them.
type billing struct {
	fs         *fakestripe.Server
	acct       string
	perInvoice int // events an invoice paid with a charge makes (3 with invoice_payment.paid)
	customers  int
	subs       []subscriber // active, to renew
	renewed    int          // the next subscriber to renew
	latest     time.Time    // the newest event's time
}

type subscriber struct{ customer, sub, email string }

func newBilling(fs *fakestripe.Server, acct string, shape fakestripe.Shape) *billing {
	b := &billing{fs: fs, acct: acct, perInvoice: 2}
	if shape == fakestripe.ShapeNew {
		b.perInvoice = 3
	}
	return b
}

func (b *billing) note(t time.Time) {
	if t.After(b.latest) {
		b.latest = t
	}
}

// backlog plays a month of billing until the account has nEvents events
// of the types a check reads: customers with monthly-ish subscriptions
// paying invoices, some refunds, disputes and cancellations. Three in ten
// customers are linked to a click (their emails are returned).
func (b *billing) backlog(nEvents int) (linked []string, customers int) {
	const invoicesPerCustomer = 4
	fs, acct := b.fs, b.acct
	start := time.Now().Add(-25 * 24 * time.Hour)
	events := 0
	for c := 0; events < nEvents; c++ {
		customers++
		email := fmt.Sprintf("customer%05d@buyer.example", c)
		at := start.Add(time.Duration(c) * time.Minute)
		cus := fs.CreateCustomer(acct, true, email, at)
		events++ // customer.created
		sub := fs.CreateSubscription(acct, true, cus, at)
		if c%10 < 3 {
			linked = append(linked, email)
		}
		var charges []string
		for i := 0; i < invoicesPerCustomer && events+b.perInvoice <= nEvents; i++ {
			_, ch := fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub,
				AmountPaid: 5000, Tax: 500, At: at.Add(time.Duration(i) * 5 * 24 * time.Hour)})
			charges = append(charges, ch)
			events += b.perInvoice
		}
		last := at.Add(time.Duration(max(len(charges)-1, 0)) * 5 * 24 * time.Hour)
		b.note(last)
		cancelled := false
		switch {
		case c%4 == 1 && events+1 <= nEvents && len(charges) > 0: // a partial refund
			fs.Refund(acct, charges[0], 1000, last.Add(time.Hour))
			events++
		case c%8 == 2 && events+1 <= nEvents: // cancelled after the last invoice
			fs.CancelSubscription(acct, sub, last.Add(time.Hour))
			cancelled = true
			events++
		case c%16 == 3 && events+2 <= nEvents && len(charges) > 0: // a dispute, won
			d := fs.CreateDispute(acct, charges[len(charges)-1], last.Add(time.Hour))
			fs.CloseDispute(acct, d, "won", last.Add(2*time.Hour))
			events += 2
		}
		if !cancelled {
			b.subs = append(b.subs, subscriber{customer: cus, sub: sub, email: email})
		}
		for events < nEvents && events+b.perInvoice > nEvents { // top up with invoice-less charges
			fs.Charge(acct, true, fakestripe.ChargeParams{Customer: cus, BillingEmail: email, Amount: 1500, At: last.Add(3 * time.Hour)})
			events++
		}
		b.note(last.Add(3 * time.Hour))
	}
	b.customers = customers
	return linked, customers
}

// hour plays an hour of billing from `from` with exactly nEvents events of
// the types a check reads: renewals of the active subscribers (every
// tenth partly refunded), a new subscriber every 25 events (three in ten
// of them linked to a click: their emails are returned), a cancellation
// every 100, a dispute (opened) every 250, one invoice-less purchase by an
// existing customer, and sign-ups that buy nothing yet to make the count.
func (b *billing) hour(from time.Time, nEvents int) (linked []string) {
	fs, acct := b.fs, b.acct
	events := 0
	at := func() time.Time { return from.Add(time.Duration(events) * time.Hour / time.Duration(nEvents+1)) }
	var lastCharge string
	for n := 0; events < nEvents; n++ {
		left := nEvents - events
		switch {
		case n == 3 && left >= 1 && len(b.subs) > 0: // an add-on bought without an invoice
			s := b.subs[(b.renewed+7)%len(b.subs)]
			fs.Charge(acct, true, fakestripe.ChargeParams{Customer: s.customer, BillingEmail: s.email, Amount: 900, At: at()})
			events++
		case n%25 == 5 && left >= b.perInvoice+1: // a new subscriber
			email := fmt.Sprintf("customer%05d@buyer.example", b.customers)
			cus := fs.CreateCustomer(acct, true, email, at())
			sub := fs.CreateSubscription(acct, true, cus, at())
			fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 5000, Tax: 500, At: at()})
			if b.customers%10 < 3 {
				linked = append(linked, email)
			}
			b.customers++
			b.subs = append(b.subs, subscriber{customer: cus, sub: sub, email: email})
			events += 1 + b.perInvoice
		case n%100 == 50 && left >= 1 && len(b.subs) > 1: // a cancellation
			i := b.renewed % len(b.subs)
			fs.CancelSubscription(acct, b.subs[i].sub, at())
			b.subs = append(b.subs[:i], b.subs[i+1:]...)
			events++
		case n%250 == 100 && left >= 1 && lastCharge != "": // a dispute opens
			fs.CreateDispute(acct, lastCharge, at())
			events++
		case n%10 == 9 && left >= 1 && lastCharge != "": // a partial refund
			fs.Refund(acct, lastCharge, 1000, at())
			lastCharge = ""
			events++
		case left >= b.perInvoice && len(b.subs) > 0: // a renewal
			s := b.subs[b.renewed%len(b.subs)]
			b.renewed++
			_, lastCharge = fs.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: s.customer, Subscription: s.sub,
				AmountPaid: 5000, Tax: 500, At: at()})
			events += b.perInvoice
		default: // fill the hour with sign-ups that buy nothing yet
			fs.CreateCustomer(acct, true, fmt.Sprintf("prospect%05d@buyer.example", b.customers), at())
			b.customers++
			events++
		}
	}
	b.note(from.Add(time.Hour))
	return linked
}

// countListed counts the account's events of the types a check reads.
func countListed(fs *fakestripe.Server, acct string) int {
	n := 0
	for _, raw := range fs.Events(acct) {
		var e struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &e) == nil && slices.Contains(stripesync.EventTypes, e.Type) {
			n++
		}
	}
	return n
}

// listOnly pages through the account's events with a plain stripe-go
// client (same backend settings as the sync's client) and returns how many
// it read.
func listOnly(ctx context.Context, baseURL, acct string) (int, error) {
	cfg := &stripe.BackendConfig{
		MaxNetworkRetries: stripe.Int64(0), URL: stripe.String(baseURL),
		HTTPClient:    &http.Client{Timeout: 30 * time.Second},
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}, EnableTelemetry: stripe.Bool(false),
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
	api := client.New(liveKey, &stripe.Backends{API: b, Connect: b, Uploads: b})
	p := &stripe.EventListParams{ListParams: stripe.ListParams{Context: ctx, Limit: stripe.Int64(100)}}
	p.SetStripeAccount(acct)
	p.Types = stripe.StringSlice(stripesync.EventTypes)
	it := api.Events.List(p)
	n := 0
	for it.Next() {
		var obj map[string]any // decode the payload, as the sync does
		if err := json.Unmarshal(it.Event().Data.Raw, &obj); err != nil {
			return n, err
		}
		n++
	}
	return n, it.Err()
}

// timedStore is the real store, with the time the engine spends in it
// measured.
type timedStore struct {
	*store.Store
	mu      sync.Mutex
	apply   time.Duration
	applyN  int
	lookup  time.Duration
	lookupN int
}

func (s *timedStore) addApply(d time.Duration) {
	s.mu.Lock()
	s.apply += d
	s.applyN++
	s.mu.Unlock()
}

func (s *timedStore) addLookup(d time.Duration) {
	s.mu.Lock()
	s.lookup += d
	s.lookupN++
	s.mu.Unlock()
}

func (s *timedStore) ApplyEvents(ctx context.Context, conn tracklane.StripeConnection, events []tracklane.StripeEvent, cursor *store.CursorUpdate) (store.ApplyOutcome, error) {
	t0 := time.Now()
	defer func() { s.addApply(time.Since(t0)) }()
	return s.Store.ApplyEvents(ctx, conn, events, cursor)
}

func (s *timedStore) ChargeLinks(ctx context.Context, accountID string, livemode bool, charges, intents []string) (tracklane.ChargeLinks, error) {
	t0 := time.Now()
	defer func() { s.addLookup(time.Since(t0)) }()
	return s.Store.ChargeLinks(ctx, accountID, livemode, charges, intents)
}

func (s *timedStore) KnownEvents(ctx context.Context, accountID string, livemode bool, ids []string) (map[string]bool, error) {
	t0 := time.Now()
	defer func() { s.addLookup(time.Since(t0)) }()
	return s.Store.KnownEvents(ctx, accountID, livemode, ids)
}

func (s *timedStore) CustomerAttributed(ctx context.Context, accountID string, livemode bool, customerID string) (bool, error) {
	t0 := time.Now()
	defer func() { s.addLookup(time.Since(t0)) }()
	return s.Store.CustomerAttributed(ctx, accountID, livemode, customerID)
}

func (s *timedStore) AttributeWaiting(ctx context.Context, tenantID, email string) (int, error) {
	t0 := time.Now()
	defer func() { s.addApply(time.Since(t0)) }()
	return s.Store.AttributeWaiting(ctx, tenantID, email)
}
