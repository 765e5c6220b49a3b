package fakestripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/tracklane/tracklane/server/testkit/stripemock"
)

const (
	testKey = "sk_test_fakestripe0001"
	liveKey = "sk_live_fakestripe0002"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func newServer(t testing.TB) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	s.AddKey(testKey)
	s.AddKey(liveKey)
	return s
}

func newClient(s *Server, key string, timeout time.Duration) *client.API {
	hc := &http.Client{Timeout: timeout}
	if timeout == 0 {
		hc.Timeout = 10 * time.Second
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(s.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		HTTPClient:        hc,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	return client.New(key, &stripe.Backends{API: b, Connect: b, Uploads: b})
}

func eventParams(account string) *stripe.EventListParams {
	p := &stripe.EventListParams{}
	p.SetStripeAccount(account)
	return p
}

// listAll drains an event iterator and returns the events in visit order.
func listAll(t *testing.T, sc *client.API, p *stripe.EventListParams) []*stripe.Event {
	t.Helper()
	it := sc.Events.List(p)
	var out []*stripe.Event
	for it.Next() {
		out = append(out, it.Event())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("list events: %v", err)
	}
	return out
}

func ids(evs []*stripe.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func rawIDs(t *testing.T, raws []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(raws))
	for i, r := range raws {
		var e struct{ ID string }
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatal(err)
		}
		out[i] = e.ID
	}
	return out
}

func getRaw(t *testing.T, s *Server, key, account, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if account != "" {
		req.Header.Set("Stripe-Account", account)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: bad JSON %q: %v", path, b, err)
	}
	return res.StatusCode, v
}

func stripeErr(t *testing.T, err error) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	return se
}

// story plays a subscription story on acct and returns the ids.
type storyIDs struct {
	cus, sub, inv, ch, ch2 string
}

func playStory(s *Server, acct string, live bool) storyIDs {
	var st storyIDs
	st.cus = s.CreateCustomer(acct, live, "ann@example.com", t0)
	st.sub = s.CreateSubscription(acct, live, st.cus, t0.Add(time.Second))
	st.inv, st.ch = s.PayInvoice(acct, live, InvoiceParams{
		Customer: st.cus, Subscription: st.sub, AmountPaid: 2400, Tax: 400, At: t0.Add(2 * time.Second),
	})
	st.ch2 = s.Charge(acct, live, ChargeParams{Customer: st.cus, BillingEmail: "ann@example.com", Amount: 999, At: t0.Add(3 * time.Second)})
	return st
}

func TestEventsNewestFirstWithTypes(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	st := playStory(s, "acct_1", false)

	all := listAll(t, sc, eventParams("acct_1"))
	wantTypes := []string{"charge.succeeded", "invoice.payment_succeeded", "invoice.paid", "charge.succeeded",
		"customer.subscription.created", "customer.created"}
	if len(all) != len(wantTypes) {
		t.Fatalf("got %d events, want %d", len(all), len(wantTypes))
	}
	for i, e := range all {
		if string(e.Type) != wantTypes[i] {
			t.Errorf("event %d: type %s, want %s", i, e.Type, wantTypes[i])
		}
		if e.Account != "acct_1" || e.APIVersion != "2023-10-16" || e.Livemode || !strings.HasPrefix(e.ID, "evt_") {
			t.Errorf("event %d: bad envelope %+v", i, e)
		}
	}
	if got := rawIDs(t, s.Events("acct_1")); fmt.Sprint(got) != fmt.Sprint(ids(all)) {
		t.Errorf("Events() = %v, API = %v", got, ids(all))
	}

	p := eventParams("acct_1")
	p.Types = stripe.StringSlice([]string{"charge.succeeded", "invoice.paid"})
	got := listAll(t, sc, p)
	if len(got) != 3 || got[0].Type != "charge.succeeded" || got[1].Type != "invoice.paid" || got[2].Type != "charge.succeeded" {
		t.Fatalf("types filter: %v", got)
	}
	if got[0].Data.Object["id"] != st.ch2 || got[2].Data.Object["id"] != st.ch || got[1].Data.Object["id"] != st.inv {
		t.Errorf("wrong objects: %v %v %v", got[0].Data.Object["id"], got[1].Data.Object["id"], got[2].Data.Object["id"])
	}
	// stripe-go encodes the slice as types[0]=…&types[1]=…
	last := s.Calls()[len(s.Calls())-1]
	if !strings.Contains(last.RawQuery, "types[0]=") || !strings.Contains(last.RawQuery, "types[1]=") {
		t.Errorf("query %q", last.RawQuery)
	}
	// types[] form and the type wildcard work too.
	if code, v := getRaw(t, s, testKey, "acct_1", "/v1/events?types[]=invoice.paid&types[]=customer.created"); code != 200 || len(v["data"].([]any)) != 2 {
		t.Errorf("types[]: %d %v", code, v)
	}
	if code, v := getRaw(t, s, testKey, "acct_1", "/v1/events?type=invoice.*"); code != 200 || len(v["data"].([]any)) != 2 {
		t.Errorf("type=invoice.*: %d %v", code, v)
	}
	if code, _ := getRaw(t, s, testKey, "acct_1", "/v1/events?type=invoice.paid&types[0]=invoice.paid"); code != 400 {
		t.Errorf("type+types: %d", code)
	}
	for _, l := range []string{"0", "101", "x"} {
		if code, v := getRaw(t, s, testKey, "acct_1", "/v1/events?limit="+l); code != 400 {
			t.Errorf("limit=%s: %d %v", l, code, v)
		}
	}
	if len(s.Unexpected()) != 0 {
		t.Errorf("unexpected calls: %v", s.Unexpected())
	}
}

func TestPagination(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	for i := 0; i < 25; i++ {
		s.CreateCustomer("acct_1", false, fmt.Sprintf("c%d@example.com", i), t0.Add(time.Duration(i/2)*time.Second))
	}
	newest := rawIDs(t, s.Events("acct_1"))

	s.ResetCalls()
	p := eventParams("acct_1")
	p.Limit = stripe.Int64(10)
	all := listAll(t, sc, p)
	if fmt.Sprint(ids(all)) != fmt.Sprint(newest) {
		t.Fatalf("paged listing differs:\n%v\n%v", ids(all), newest)
	}
	if s.CallCount() != 3 {
		t.Errorf("calls = %d, want 3", s.CallCount())
	}
	if c := s.Calls()[1]; !strings.Contains(c.RawQuery, "starting_after="+newest[9]) || c.Account != "acct_1" || c.Key != testKey {
		t.Errorf("second call %+v", c)
	}

	// one page with starting_after
	p = eventParams("acct_1")
	p.Limit = stripe.Int64(5)
	p.StartingAfter = stripe.String(newest[3])
	p.Single = true
	it := sc.Events.List(p)
	var page []string
	for it.Next() {
		page = append(page, it.Event().ID)
	}
	if fmt.Sprint(page) != fmt.Sprint(newest[4:9]) || !it.EventList().HasMore {
		t.Errorf("starting_after page %v, want %v", page, newest[4:9])
	}

	// ending_before: the page just newer than the cursor, newest first on the wire.
	code, v := getRaw(t, s, testKey, "acct_1", "/v1/events?limit=5&ending_before="+newest[14])
	if code != 200 {
		t.Fatal(code, v)
	}
	var wire []string
	for _, e := range v["data"].([]any) {
		wire = append(wire, e.(map[string]any)["id"].(string))
	}
	if fmt.Sprint(wire) != fmt.Sprint(newest[9:14]) || v["has_more"] != true {
		t.Errorf("ending_before page %v (has_more %v), want %v", wire, v["has_more"], newest[9:14])
	}
	// stripe-go walks backwards (oldest to newest) until the newest event.
	p = eventParams("acct_1")
	p.Limit = stripe.Int64(4)
	p.EndingBefore = stripe.String(newest[14])
	back := ids(listAll(t, sc, p))
	want := make([]string, 0, 14)
	for i := 13; i >= 0; i-- {
		want = append(want, newest[i])
	}
	if fmt.Sprint(back) != fmt.Sprint(want) {
		t.Errorf("ending_before walk %v, want %v", back, want)
	}
	// unknown cursor
	p = eventParams("acct_1")
	p.StartingAfter = stripe.String("evt_nope")
	_, err := sc.Events.List(p).Next(), sc.Events.List(p).Err()
	if se := stripeErr(t, err); se.HTTPStatusCode != 400 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("bad cursor: %+v", se)
	}
}

func TestCreatedFilters(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	for i := 0; i < 10; i++ {
		s.CreateCustomer("acct_1", false, "", t0.Add(time.Duration(i)*time.Minute))
	}
	count := func(p *stripe.EventListParams) int { return len(listAll(t, sc, p)) }
	p := eventParams("acct_1")
	p.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: t0.Add(3 * time.Minute).Unix(), LesserThan: t0.Add(7 * time.Minute).Unix()}
	if n := count(p); n != 4 {
		t.Errorf("gte/lt: %d, want 4", n)
	}
	p = eventParams("acct_1")
	p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: t0.Add(3 * time.Minute).Unix(), LesserThanOrEqual: t0.Add(7 * time.Minute).Unix()}
	if n := count(p); n != 4 {
		t.Errorf("gt/lte: %d, want 4", n)
	}
	p = eventParams("acct_1")
	p.Created = stripe.Int64(t0.Add(5 * time.Minute).Unix())
	if n := count(p); n != 1 {
		t.Errorf("exact: %d, want 1", n)
	}
	// created[gt] with a cursor and small pages
	p = eventParams("acct_1")
	p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: t0.Add(1 * time.Minute).Unix()}
	p.Limit = stripe.Int64(3)
	if n := count(p); n != 8 {
		t.Errorf("gt paged: %d, want 8", n)
	}
}

func TestAccountIsolationAndModes(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	st := playStory(s, "acct_1", false)

	if evs := listAll(t, sc, eventParams("acct_2")); len(evs) != 0 {
		t.Errorf("acct_2 sees %d events", len(evs))
	}
	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_2")
	_, err := sc.Invoices.Get(st.inv, ip)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing ||
		se.Msg != "No such invoice: '"+st.inv+"'" || se.Param != "id" {
		t.Errorf("cross-account get: %+v", se)
	}
	// a live key does not see test objects
	lc := newClient(s, liveKey, 0)
	cp := &stripe.ChargeParams{}
	cp.SetStripeAccount("acct_1")
	_, err = lc.Charges.Get(st.ch, cp)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || !strings.Contains(se.Msg, "exists in test mode") {
		t.Errorf("live key on test charge: %+v", se)
	}
	if evs := listAll(t, lc, eventParams("acct_1")); len(evs) != 0 {
		t.Errorf("live key sees %d test events", len(evs))
	}
	// wrong collection
	cu := &stripe.CustomerParams{}
	cu.SetStripeAccount("acct_1")
	if _, err := sc.Customers.Get(st.ch, cu); stripeErr(t, err).HTTPStatusCode != 404 {
		t.Error("charge id served as customer")
	}
	// live objects carry livemode
	lcus := s.CreateCustomer("acct_1", true, "live@example.com", t0)
	c, err := lc.Customers.Get(lcus, cu)
	if err != nil || !c.Livemode || c.Email != "live@example.com" {
		t.Errorf("live customer %+v %v", c, err)
	}
}

func TestShape2023Unmarshal(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	st := playStory(s, "acct_1", false)
	re := s.Refund("acct_1", st.ch, 400, t0.Add(time.Hour))
	dp := s.CreateDispute("acct_1", st.ch2, t0.Add(2*time.Hour))
	cs := s.CompleteCheckout("acct_1", false, CheckoutParams{Customer: st.cus, CustomerEmail: "ann@example.com",
		ClientReferenceID: "click_123", Mode: "subscription", Subscription: st.sub, Invoice: st.inv, AmountTotal: 2400, At: t0})

	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	inv, err := sc.Invoices.Get(st.inv, ip)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Charge == nil || inv.Charge.ID != st.ch || inv.Subscription == nil || inv.Subscription.ID != st.sub ||
		inv.Tax != 400 || inv.AmountPaid != 2400 || inv.Status != stripe.InvoiceStatusPaid || inv.CustomerEmail != "ann@example.com" ||
		inv.PaymentIntent == nil || inv.StatusTransitions.PaidAt != t0.Add(2*time.Second).Unix() || len(inv.TotalTaxAmounts) != 1 ||
		inv.TotalTaxAmounts[0].Amount != 400 || inv.Lines == nil || len(inv.Lines.Data) != 1 || inv.Currency != "usd" {
		t.Errorf("invoice %+v", inv)
	}

	chp := &stripe.ChargeParams{}
	chp.SetStripeAccount("acct_1")
	ch, err := sc.Charges.Get(st.ch, chp)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Invoice == nil || ch.Invoice.ID != st.inv || ch.AmountRefunded != 400 || ch.Refunded || ch.Refunds == nil ||
		len(ch.Refunds.Data) != 1 || ch.Refunds.Data[0].ID != re || ch.BillingDetails.Email != "ann@example.com" ||
		ch.Customer.ID != st.cus || ch.PaymentIntent.ID != inv.PaymentIntent.ID || ch.AmountCaptured != 2400 {
		t.Errorf("charge %+v", ch)
	}
	ch2, err := sc.Charges.Get(st.ch2, chp)
	if err != nil || ch2.Invoice != nil || !ch2.Disputed {
		t.Errorf("invoice-less charge %+v %v", ch2, err)
	}

	rp := &stripe.RefundParams{}
	rp.SetStripeAccount("acct_1")
	if r, err := sc.Refunds.Get(re, rp); err != nil || r.Amount != 400 || r.Charge.ID != st.ch {
		t.Errorf("refund %+v %v", r, err)
	}
	dpp := &stripe.DisputeParams{}
	dpp.SetStripeAccount("acct_1")
	if d, err := sc.Disputes.Get(dp, dpp); err != nil || d.Charge.ID != st.ch2 || d.Status != "needs_response" || d.Amount != 999 {
		t.Errorf("dispute %+v %v", d, err)
	}
	sp := &stripe.SubscriptionParams{}
	sp.SetStripeAccount("acct_1")
	if sub, err := sc.Subscriptions.Get(st.sub, sp); err != nil || sub.Status != "active" || sub.Customer.ID != st.cus || sub.LatestInvoice.ID != st.inv {
		t.Errorf("subscription %+v %v", sub, err)
	}
	pp := &stripe.PaymentIntentParams{}
	pp.SetStripeAccount("acct_1")
	if pi, err := sc.PaymentIntents.Get(inv.PaymentIntent.ID, pp); err != nil || pi.Invoice.ID != st.inv || pi.LatestCharge.ID != st.ch {
		t.Errorf("payment intent %+v %v", pi, err)
	}
	csp := &stripe.CheckoutSessionParams{}
	csp.SetStripeAccount("acct_1")
	if c, err := sc.CheckoutSessions.Get(cs, csp); err != nil || c.ClientReferenceID != "click_123" || c.Customer.ID != st.cus || c.CustomerDetails.Email != "ann@example.com" {
		t.Errorf("checkout session %+v %v", c, err)
	}

	// lists
	ilp := &stripe.InvoiceListParams{Customer: stripe.String(st.cus)}
	ilp.SetStripeAccount("acct_1")
	it := sc.Invoices.List(ilp)
	n := 0
	for it.Next() {
		n++
	}
	if it.Err() != nil || n != 1 {
		t.Errorf("invoice list %d %v", n, it.Err())
	}
	clp := &stripe.ChargeListParams{Customer: stripe.String(st.cus)}
	clp.SetStripeAccount("acct_1")
	cit := sc.Charges.List(clp)
	var chs []string
	for cit.Next() {
		chs = append(chs, cit.Charge().ID)
	}
	if cit.Err() != nil || fmt.Sprint(chs) != fmt.Sprint([]string{st.ch2, st.ch}) {
		t.Errorf("charge list %v %v", chs, cit.Err())
	}
	clp = &stripe.ChargeListParams{PaymentIntent: stripe.String(inv.PaymentIntent.ID)}
	clp.SetStripeAccount("acct_1")
	cit = sc.Charges.List(clp)
	chs = nil
	for cit.Next() {
		chs = append(chs, cit.Charge().ID)
	}
	if fmt.Sprint(chs) != fmt.Sprint([]string{st.ch}) {
		t.Errorf("charge list by payment intent %v %v", chs, cit.Err())
	}

	// every event unmarshals into the stripe-go type its data.object names
	for _, e := range listAll(t, sc, eventParams("acct_1")) {
		var err error
		switch e.Data.Object["object"] {
		case "invoice":
			err = json.Unmarshal(e.Data.Raw, &stripe.Invoice{})
		case "charge":
			err = json.Unmarshal(e.Data.Raw, &stripe.Charge{})
		case "customer":
			err = json.Unmarshal(e.Data.Raw, &stripe.Customer{})
		case "subscription":
			err = json.Unmarshal(e.Data.Raw, &stripe.Subscription{})
		case "refund":
			err = json.Unmarshal(e.Data.Raw, &stripe.Refund{})
		case "dispute":
			err = json.Unmarshal(e.Data.Raw, &stripe.Dispute{})
		case "checkout.session":
			err = json.Unmarshal(e.Data.Raw, &stripe.CheckoutSession{})
		default:
			t.Errorf("unexpected object %v", e.Data.Object["object"])
		}
		if err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
	}
	if len(s.Unexpected()) != 0 {
		t.Errorf("unexpected: %v", s.Unexpected())
	}
}

func TestShapeNew(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	s.SetShape("acct_n", ShapeNew)
	st := playStory(s, "acct_n", false)
	oneOff, _ := s.PayInvoice("acct_n", false, InvoiceParams{Customer: st.cus, AmountPaid: 500, At: t0.Add(time.Minute)})

	code, inv := getRaw(t, s, testKey, "acct_n", "/v1/invoices/"+st.inv)
	if code != 200 {
		t.Fatal(code, inv)
	}
	parent, _ := inv["parent"].(map[string]any)
	details, _ := parent["subscription_details"].(map[string]any)
	if parent["type"] != "subscription_details" || details["subscription"] != st.sub {
		t.Errorf("parent %v", inv["parent"])
	}
	taxes, _ := inv["total_taxes"].([]any)
	if len(taxes) != 1 || taxes[0].(map[string]any)["amount"] != float64(400) || taxes[0].(map[string]any)["type"] != "tax_rate_details" {
		t.Errorf("total_taxes %v", inv["total_taxes"])
	}
	for _, k := range []string{"charge", "subscription", "payment_intent", "tax", "total_tax_amounts", "paid"} {
		if _, ok := inv[k]; ok {
			t.Errorf("new-shape invoice has %q", k)
		}
	}
	if code, inv := getRaw(t, s, testKey, "acct_n", "/v1/invoices/"+oneOff); code != 200 || inv["parent"] != nil {
		t.Errorf("one-off invoice parent %v", inv["parent"])
	}
	code, ch := getRaw(t, s, testKey, "acct_n", "/v1/charges/"+st.ch)
	if _, ok := ch["invoice"]; code != 200 || ok {
		t.Errorf("new-shape charge %d has invoice: %v", code, ch["invoice"])
	}
	evs := listAll(t, sc, eventParams("acct_n"))
	for _, e := range evs {
		if e.APIVersion != ShapeNew.APIVersion() {
			t.Errorf("api_version %s", e.APIVersion)
		}
		if e.Type == "invoice.paid" && e.Data.Object["id"] == st.inv {
			if _, ok := e.Data.Object["charge"]; ok {
				t.Error("invoice.paid event has charge")
			}
			if e.Data.Object["parent"].(map[string]any)["subscription_details"].(map[string]any)["subscription"] != st.sub {
				t.Error("invoice.paid event lacks parent.subscription_details.subscription")
			}
		}
	}
	// Switching shape later does not re-render old events.
	s.SetShape("acct_n", Shape2023)
	if e := s.Event("acct_n", evs[0].ID); !strings.Contains(string(e), ShapeNew.APIVersion()) {
		t.Errorf("old event re-rendered: %s", e)
	}
}

func TestAuthErrors(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	s.CreateCustomer("acct_1", false, "a@example.com", t0)
	if evs := listAll(t, sc, eventParams("acct_1")); len(evs) != 1 {
		t.Fatal(len(evs))
	}
	s.RevokeKey(testKey)
	it := sc.Events.List(eventParams("acct_1"))
	it.Next()
	se := stripeErr(t, it.Err())
	if se.HTTPStatusCode != 401 || se.Code != stripe.ErrorCodeAPIKeyExpired || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Errorf("revoked key: %+v", se)
	}
	unknown := newClient(s, "sk_test_unknown1234", 0)
	it = unknown.Events.List(eventParams("acct_1"))
	it.Next()
	if se := stripeErr(t, it.Err()); se.HTTPStatusCode != 401 {
		t.Errorf("unknown key: %+v", se)
	}
	s.AddKey(testKey) // restored
	s.RevokeAccount("acct_1")
	it = sc.Events.List(eventParams("acct_1"))
	it.Next()
	if se := stripeErr(t, it.Err()); se.HTTPStatusCode != 403 || se.Code != stripe.ErrorCodeAccountInvalid {
		t.Errorf("revoked account: %+v", se)
	}
	// other accounts still work
	if evs := listAll(t, sc, eventParams("acct_2")); len(evs) != 0 {
		t.Error(len(evs))
	}
	// basic auth works too
	s.RestoreAccount("acct_1")
	req, _ := http.NewRequest("GET", s.URL()+"/v1/events", nil)
	req.SetBasicAuth(testKey, "")
	req.Header.Set("Stripe-Account", "acct_1")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	s.CreateCustomer("acct_1", false, "a@example.com", t0)

	s.InjectFault(Fault{Method: "GET", PathPrefix: "/v1/events", Status: 500})
	it := sc.Events.List(eventParams("acct_1"))
	it.Next()
	if se := stripeErr(t, it.Err()); se.HTTPStatusCode != 500 || se.Type != stripe.ErrorTypeAPI {
		t.Errorf("500: %+v", se)
	}
	if evs := listAll(t, sc, eventParams("acct_1")); len(evs) != 1 {
		t.Errorf("after fault: %d", len(evs))
	}

	s.InjectFault(Fault{PathPrefix: "/v1/events", Status: 429, Count: 2, AfterCalls: 1})
	var codes []int
	for i := 0; i < 4; i++ {
		it := sc.Events.List(eventParams("acct_1"))
		it.Next()
		code := 200
		if it.Err() != nil {
			se := stripeErr(t, it.Err())
			code = se.HTTPStatusCode
			if se.Code != stripe.ErrorCodeRateLimit {
				t.Errorf("429 code %q", se.Code)
			}
		}
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 429 429 200]" {
		t.Errorf("codes %v", codes)
	}

	s.InjectFault(Fault{PathPrefix: "/v1/events", Truncate: true})
	it = sc.Events.List(eventParams("acct_1"))
	it.Next()
	if it.Err() == nil {
		t.Error("truncated body parsed")
	}

	s.InjectFault(Fault{PathPrefix: "/v1/events", Delay: 500 * time.Millisecond})
	slow := newClient(s, testKey, 100*time.Millisecond)
	it = slow.Events.List(eventParams("acct_1"))
	it.Next()
	if it.Err() == nil {
		t.Error("delay did not time out")
	}
	if evs := listAll(t, slow, eventParams("acct_1")); len(evs) != 1 {
		t.Error("no recovery after delay")
	}
}

func TestSnapshotsAndStory(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	st := playStory(s, "acct_1", false)
	s.UpdateCustomerEmail("acct_1", st.cus, "ann2@example.com", t0.Add(time.Minute))
	re := s.Refund("acct_1", st.ch, 0, t0.Add(time.Hour))
	dp := s.CreateDispute("acct_1", st.ch2, t0.Add(2*time.Hour))
	s.CloseDispute("acct_1", dp, "won", t0.Add(3*time.Hour))
	s.CancelSubscription("acct_1", st.sub, t0.Add(4*time.Hour))

	p := eventParams("acct_1")
	evs := listAll(t, sc, p)
	byType := map[string][]*stripe.Event{}
	for _, e := range evs {
		byType[string(e.Type)] = append(byType[string(e.Type)], e)
	}
	var paid stripe.Charge
	for _, e := range byType["charge.succeeded"] {
		if e.Data.Object["id"] == st.ch {
			if err := json.Unmarshal(e.Data.Raw, &paid); err != nil {
				t.Fatal(err)
			}
		}
	}
	if paid.AmountRefunded != 0 || paid.Refunded || len(paid.Refunds.Data) != 0 || paid.Invoice.ID != st.inv {
		t.Errorf("charge.succeeded snapshot changed: %+v", paid)
	}
	var refunded stripe.Charge
	ev := byType["charge.refunded"][0]
	_ = json.Unmarshal(ev.Data.Raw, &refunded)
	if !refunded.Refunded || refunded.AmountRefunded != 2400 || refunded.Refunds.Data[0].ID != re ||
		ev.Data.PreviousAttributes["amount_refunded"] != float64(0) || ev.Data.PreviousAttributes["refunded"] != false {
		t.Errorf("charge.refunded %+v prev %v", refunded, ev.Data.PreviousAttributes)
	}
	if byType["refund.created"][0].Data.Object["id"] != re {
		t.Error("refund.created")
	}
	if e := byType["customer.updated"][0]; e.Data.PreviousAttributes["email"] != "ann@example.com" || e.Data.Object["email"] != "ann2@example.com" {
		t.Errorf("customer.updated %v", e.Data)
	}
	if e := byType["charge.dispute.created"][0]; e.Data.Object["status"] != "needs_response" || e.Data.Object["charge"] != st.ch2 {
		t.Errorf("dispute.created %v", e.Data.Object)
	}
	if e := byType["charge.dispute.closed"][0]; e.Data.Object["status"] != "won" || e.Data.PreviousAttributes["status"] != "needs_response" {
		t.Errorf("dispute.closed %v", e.Data)
	}
	if e := byType["customer.subscription.deleted"][0]; e.Data.Object["status"] != "canceled" || e.Data.Object["canceled_at"] != float64(t0.Add(4*time.Hour).Unix()) {
		t.Errorf("subscription.deleted %v", e.Data.Object)
	}
	if e := byType["customer.subscription.created"][0]; e.Data.Object["status"] != "active" {
		t.Error("subscription.created snapshot changed")
	}
	// zero invoice: only invoice.paid
	before := s.EventCount("acct_1")
	inv0, ch0 := s.PayInvoice("acct_1", false, InvoiceParams{Customer: st.cus, At: t0.Add(5 * time.Hour)})
	if ch0 != "" || s.EventCount("acct_1") != before+1 {
		t.Errorf("zero invoice: charge %q, events %d", ch0, s.EventCount("acct_1")-before)
	}
	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	if inv, err := sc.Invoices.Get(inv0, ip); err != nil || inv.Charge != nil || inv.AmountPaid != 0 {
		t.Errorf("zero invoice %+v %v", inv, err)
	}

	// DeleteObject
	s.DeleteObject("acct_1", st.cus)
	cp := &stripe.CustomerParams{}
	cp.SetStripeAccount("acct_1")
	if _, err := sc.Customers.Get(st.cus, cp); stripeErr(t, err).HTTPStatusCode != 404 {
		t.Error("deleted customer still readable")
	}
}

func TestForgetEvents(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	old := s.CreateCustomer("acct_1", false, "", t0)
	s.CreateCustomer("acct_1", false, "", t0.Add(40*24*time.Hour))
	oldEv := rawIDs(t, s.Events("acct_1"))[1]
	s.ForgetEventsBefore("acct_1", t0.Add(10*24*time.Hour))
	if evs := listAll(t, sc, eventParams("acct_1")); len(evs) != 1 {
		t.Errorf("listed %d", len(evs))
	}
	ep := &stripe.EventParams{}
	ep.SetStripeAccount("acct_1")
	if _, err := sc.Events.Get(oldEv, ep); stripeErr(t, err).HTTPStatusCode != 404 {
		t.Error("forgotten event readable")
	}
	p := eventParams("acct_1")
	p.EndingBefore = stripe.String(oldEv)
	it := sc.Events.List(p)
	it.Next()
	if se := stripeErr(t, it.Err()); se.HTTPStatusCode != 400 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("forgotten cursor %+v", se)
	}
	if s.Event("acct_1", oldEv) == nil {
		t.Error("Event() lost the forgotten event")
	}
	// objects stay
	cp := &stripe.CustomerParams{}
	cp.SetStripeAccount("acct_1")
	if _, err := sc.Customers.Get(old, cp); err != nil {
		t.Error(err)
	}
}

func TestUnexpected(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	// a write through stripe-go
	cp := &stripe.CustomerParams{Email: stripe.String("x@example.com")}
	cp.SetStripeAccount("acct_1")
	if _, err := sc.Customers.New(cp); stripeErr(t, err).HTTPStatusCode != 405 {
		t.Error("POST allowed")
	}
	// a route outside the list
	if _, err := sc.Products.Get("prod_1", nil); stripeErr(t, err).HTTPStatusCode != 404 {
		t.Error("products served")
	}
	// expand is not implemented
	ip := &stripe.InvoiceParams{}
	ip.AddExpand("charge")
	if _, err := sc.Invoices.Get("in_1", ip); stripeErr(t, err).HTTPStatusCode != 400 {
		t.Error("expand accepted")
	}
	u := s.Unexpected()
	if len(u) != 3 || u[0].Method != "POST" || u[1].Path != "/v1/products/prod_1" || u[2].Status != 400 {
		t.Errorf("unexpected %+v", u)
	}
	if s.CallCount() != 3 {
		t.Errorf("calls %d", s.CallCount())
	}
	s.ResetCalls()
	if s.CallCount() != 0 || len(s.Unexpected()) != 0 {
		t.Error("reset")
	}
}

func TestConcurrent(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		acct := fmt.Sprintf("acct_%d", g)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				cus := s.CreateCustomer(acct, false, "c@example.com", t0.Add(time.Duration(i)*time.Second))
				s.PayInvoice(acct, false, InvoiceParams{Customer: cus, AmountPaid: 100, At: t0.Add(time.Duration(i) * time.Second)})
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				it := sc.Events.List(eventParams(acct))
				for it.Next() {
				}
				if it.Err() != nil {
					t.Error(it.Err())
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(listAll(t, sc, eventParams("acct_3"))); n != 200 {
		t.Errorf("acct_3 has %d events", n)
	}
}

func BenchmarkPage10k(b *testing.B) {
	s := New()
	defer s.Close()
	s.AddKey(testKey)
	for i := 0; i < 10000; i++ {
		s.CreateCustomer("acct_b", false, "b@example.com", t0.Add(time.Duration(i)*time.Second))
	}
	sc := newClient(s, testKey, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := eventParams("acct_b")
		p.Limit = stripe.Int64(100)
		p.Types = stripe.StringSlice([]string{"customer.created", "invoice.paid"})
		it := sc.Events.List(p)
		n := 0
		for it.Next() {
			n++
		}
		if it.Err() != nil || n != 10000 {
			b.Fatal(n, it.Err())
		}
	}
}

// ---------------------------------------------------------------------------
// coupons, promotion codes, discounts, metadata, Checkout

// mustPanic runs f and fails unless it panics.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// eventsOf returns account's events (oldest first) as parsed maps.
func eventsOf(t *testing.T, s *Server, account string) []map[string]any {
	t.Helper()
	raws := s.Events(account)
	out := make([]map[string]any, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &out[len(raws)-1-i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func evObject(e map[string]any) map[string]any {
	return e["data"].(map[string]any)["object"].(map[string]any)
}

func evTypes(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e["type"].(string)
	}
	return out
}

func TestCouponsAndPromotionCodes(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	pct := s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 20, Name: "Partner 20%", Duration: "forever", At: t0})
	amt := s.CreateCoupon("acct_1", false, CouponParams{AmountOff: 500, Currency: "eur", At: t0})
	promo := s.CreatePromotionCode("acct_1", false, pct, "ANNA20")
	if len(pct) != 8 || !strings.HasPrefix(promo, "promo_") {
		t.Errorf("ids %q %q", pct, promo)
	}
	if got := evTypes(eventsOf(t, s, "acct_1")); fmt.Sprint(got) != "[coupon.created coupon.created promotion_code.created]" {
		t.Errorf("events %v", got)
	}
	mustPanic(t, "a code taken in another case", func() { s.CreatePromotionCode("acct_1", false, amt, "anna20") })
	mustPanic(t, "a code with a space", func() { s.CreatePromotionCode("acct_1", false, amt, "AN NA") })
	mustPanic(t, "a coupon with both amounts", func() { s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 5, AmountOff: 5}) })
	mustPanic(t, "repeating without months", func() { s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 5, Duration: "repeating"}) })
	s.CreatePromotionCode("acct_2", false, s.CreateCoupon("acct_2", false, CouponParams{PercentOff: 5}), "ANNA20") // other account: free

	cp := &stripe.CouponParams{}
	cp.SetStripeAccount("acct_1")
	c, err := sc.Coupons.Get(pct, cp)
	if err != nil || c.PercentOff != 20 || c.AmountOff != 0 || c.Name != "Partner 20%" || c.Duration != "forever" ||
		!c.Valid || c.Created != t0.Unix() || c.Currency != "" {
		t.Errorf("percent coupon %+v %v", c, err)
	}
	if c, err := sc.Coupons.Get(amt, cp); err != nil || c.AmountOff != 500 || c.Currency != "eur" || c.Duration != "once" || c.PercentOff != 0 {
		t.Errorf("amount coupon %+v %v", c, err)
	}
	pp := &stripe.PromotionCodeParams{}
	pp.SetStripeAccount("acct_1")
	pc, err := sc.PromotionCodes.Get(promo, pp)
	if err != nil || pc.Code != "ANNA20" || !pc.Active || pc.Coupon == nil || pc.Coupon.ID != pct || pc.Coupon.PercentOff != 20 ||
		pc.Customer != nil || pc.Restrictions == nil || pc.Livemode {
		t.Errorf("promotion code %+v %v", pc, err)
	}
	// the newer shape: promotion {type, coupon id}, no coupon
	s.SetShape("acct_1", ShapeNew)
	code, raw := getRaw(t, s, testKey, "acct_1", "/v1/promotion_codes/"+promo)
	if pr, _ := raw["promotion"].(map[string]any); code != 200 || pr["type"] != "coupon" || pr["coupon"] != pct || raw["code"] != "ANNA20" {
		t.Errorf("new-shape promotion code %d %v", code, raw)
	}
	if _, ok := raw["coupon"]; ok {
		t.Error("new-shape promotion code has coupon")
	}
	s.SetShape("acct_1", Shape2023)
	// a live key does not see test coupons
	lc := newClient(s, liveKey, 0)
	if _, err := lc.Coupons.Get(pct, cp); stripeErr(t, err).HTTPStatusCode != 404 {
		t.Error("live key reads a test coupon")
	}

	// deleted: 404 resource_missing; the code of a deleted coupon is inactive
	s.DeleteObject("acct_1", pct)
	_, err = sc.Coupons.Get(pct, cp)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("deleted coupon %+v", se)
	}
	if pc, err := sc.PromotionCodes.Get(promo, pp); err != nil || pc.Active || pc.Coupon.Valid {
		t.Errorf("promotion code of a deleted coupon %+v %v", pc, err)
	}
	s.DeleteObject("acct_1", promo)
	_, err = sc.PromotionCodes.Get(promo, pp)
	if se := stripeErr(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Errorf("deleted promotion code %+v", se)
	}
	cus := s.CreateCustomer("acct_1", false, "a@example.com", t0)
	mustPanic(t, "redeeming a deleted code", func() {
		s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, AmountPaid: 100, PromotionCodes: []string{promo}, At: t0})
	})
	if len(s.Unexpected()) != 0 {
		t.Errorf("unexpected: %v", s.Unexpected())
	}
}

func TestInvoiceDiscounts(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	pct := s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 20, At: t0})
	off := s.CreateCoupon("acct_1", false, CouponParams{AmountOff: 300, At: t0})
	p20 := s.CreatePromotionCode("acct_1", false, pct, "ANNA20")
	p3 := s.CreatePromotionCode("acct_1", false, off, "MINUS3")
	cus := s.CreateCustomer("acct_1", false, "ann@example.com", t0)
	// 10000 - 20% = 8000, + 800 tax
	inv, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, AmountPaid: 8800, Tax: 800,
		PromotionCodes: []string{p20}, At: t0.Add(time.Second)})

	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	got, err := sc.Invoices.Get(inv, ip)
	if err != nil {
		t.Fatal(err)
	}
	if got.AmountPaid != 8800 || got.Subtotal != 10000 || got.TotalExcludingTax != 8000 || got.Total != 8800 ||
		len(got.Discounts) != 1 || len(got.TotalDiscountAmounts) != 1 || got.TotalDiscountAmounts[0].Amount != 2000 ||
		got.TotalDiscountAmounts[0].Discount.ID != got.Discounts[0].ID || got.Discount == nil ||
		got.Discount.ID != got.Discounts[0].ID || got.Discount.PromotionCode.ID != p20 || got.Discount.Coupon.ID != pct ||
		got.Discount.Coupon.PercentOff != 20 || got.Discount.Invoice != inv || got.Discount.Customer.ID != cus ||
		got.Discount.Subscription != "" || got.Discount.Start != t0.Add(time.Second).Unix() {
		t.Errorf("discounted invoice %+v discount %+v", got, got.Discount)
	}
	di := got.Discounts[0].ID
	if !strings.HasPrefix(di, "di_") || got.Lines.Data[0].Amount != 10000 || len(got.Lines.Data[0].DiscountAmounts) != 1 ||
		got.Lines.Data[0].DiscountAmounts[0].Amount != 2000 || got.TotalTaxAmounts[0].TaxableAmount != 8000 {
		t.Errorf("discount %s, line %+v", di, got.Lines.Data[0])
	}
	// events carry the discounts as ids (and the 2023 discount object)
	for _, e := range eventsOf(t, s, "acct_1") {
		if e["type"] != "invoice.paid" {
			continue
		}
		o := evObject(e)
		if fmt.Sprint(o["discounts"]) != "["+di+"]" || o["discount"].(map[string]any)["promotion_code"] != p20 {
			t.Errorf("invoice.paid discounts %v discount %v", o["discounts"], o["discount"])
		}
		tda := o["total_discount_amounts"].([]any)[0].(map[string]any)
		if tda["amount"] != float64(2000) || tda["discount"] != di {
			t.Errorf("total_discount_amounts %v", tda)
		}
	}
	// expand[]=discounts: objects carrying promotion_code
	ip = &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	ip.AddExpand("discounts")
	got, err = sc.Invoices.Get(inv, ip)
	if err != nil || len(got.Discounts) != 1 || got.Discounts[0].PromotionCode == nil || got.Discounts[0].PromotionCode.ID != p20 ||
		got.Discounts[0].Coupon.ID != pct {
		t.Errorf("expanded discounts %+v %v", got.Discounts, err)
	}
	if code, raw := getRaw(t, s, testKey, "acct_1", "/v1/invoices/"+inv+"?expand[]=discounts"); code != 200 ||
		raw["discounts"].([]any)[0].(map[string]any)["object"] != "discount" {
		t.Errorf("expand[]=discounts: %d %v", code, raw["discounts"])
	}
	if len(s.Unexpected()) != 0 {
		t.Errorf("expand[]=discounts recorded as unexpected: %v", s.Unexpected())
	}
	for _, q := range []string{"?expand[]=charge", "?expand[]=discounts&expand[]=charge", "?expand[0]=discounts.coupon"} {
		if code, _ := getRaw(t, s, testKey, "acct_1", "/v1/invoices/"+inv+q); code != 400 {
			t.Errorf("%s: %d", q, code)
		}
	}
	if code, _ := getRaw(t, s, testKey, "acct_1", "/v1/customers/"+cus+"?expand[]=discounts"); code != 400 {
		t.Errorf("expand on a customer: %d", code)
	}
	s.ResetCalls()

	// two codes: amount off after percent; no singular discount
	two, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, AmountPaid: 7700, PromotionCodes: []string{p20, p3}, At: t0.Add(2 * time.Second)})
	code, raw := getRaw(t, s, testKey, "acct_1", "/v1/invoices/"+two)
	amounts := []string{}
	for _, a := range raw["total_discount_amounts"].([]any) {
		amounts = append(amounts, fmt.Sprint(a.(map[string]any)["amount"]))
	}
	if code != 200 || raw["discount"] != nil || len(raw["discounts"].([]any)) != 2 || raw["subtotal"] != float64(10000) ||
		fmt.Sprint(amounts) != "[2000 300]" {
		t.Errorf("two discounts: %v %v %v %v", raw["discount"], raw["discounts"], raw["subtotal"], amounts)
	}
	mustPanic(t, "a code given twice", func() {
		s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, AmountPaid: 100, PromotionCodes: []string{p3, p3}})
	})
	mustPanic(t, "an amount-off coupon in another currency", func() {
		s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, AmountPaid: 100, Currency: "eur", PromotionCodes: []string{p3}})
	})
	// redemptions counted
	pp := &stripe.PromotionCodeParams{}
	pp.SetStripeAccount("acct_1")
	if pc, err := sc.PromotionCodes.Get(p20, pp); err != nil || pc.TimesRedeemed != 2 || pc.Coupon.TimesRedeemed != 2 {
		t.Errorf("times_redeemed %+v %v", pc, err)
	}

	// the newer shape: no discount; discounts ids; expand gives source
	s.SetShape("acct_1", ShapeNew)
	code, raw = getRaw(t, s, testKey, "acct_1", "/v1/invoices/"+inv)
	if _, ok := raw["discount"]; code != 200 || ok || fmt.Sprint(raw["discounts"]) != "["+di+"]" ||
		len(raw["total_discount_amounts"].([]any)) != 1 {
		t.Errorf("new-shape invoice %v %v", raw["discounts"], raw["total_discount_amounts"])
	}
	_, raw = getRaw(t, s, testKey, "acct_1", "/v1/invoices/"+inv+"?expand[0]=discounts")
	d := raw["discounts"].([]any)[0].(map[string]any)
	if src, _ := d["source"].(map[string]any); src["coupon"] != pct || src["type"] != "coupon" || d["promotion_code"] != p20 {
		t.Errorf("new-shape discount %v", d)
	}
	if _, ok := d["coupon"]; ok {
		t.Error("new-shape discount has coupon")
	}
}

func TestSubscriptionDiscounts(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	forever := s.CreatePromotionCode("acct_1", false, s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 50, Duration: "forever", At: t0}), "HALF")
	once := s.CreatePromotionCode("acct_1", false, s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 10, At: t0}), "FIRST10")
	twoMonths := s.CreatePromotionCode("acct_1", false, s.CreateCoupon("acct_1", false, CouponParams{AmountOff: 100, Duration: "repeating", DurationInMonths: 2, At: t0}), "TWO")
	cus := s.CreateCustomer("acct_1", false, "ann@example.com", t0)
	sub := s.CreateSubscription("acct_1", false, cus, t0)
	discountsOf := func(inv string) []string {
		ip := &stripe.InvoiceParams{}
		ip.SetStripeAccount("acct_1")
		ip.AddExpand("discounts")
		got, err := sc.Invoices.Get(inv, ip)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range got.Discounts {
			if d.Subscription != sub || d.Invoice != "" {
				t.Errorf("subscription discount %+v", d)
			}
			out = append(out, d.PromotionCode.ID)
		}
		return out
	}
	i1, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 800,
		PromotionCodes: []string{forever, once, twoMonths}, At: t0})
	i2, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 900, At: t0.AddDate(0, 1, 0)})
	i3, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 1000,
		PromotionCodes: []string{forever}, At: t0.AddDate(0, 2, 0)})
	if got := discountsOf(i1); fmt.Sprint(got) != fmt.Sprint([]string{forever, once, twoMonths}) {
		t.Errorf("first invoice %v", got)
	}
	if got := discountsOf(i2); fmt.Sprint(got) != fmt.Sprint([]string{forever, twoMonths}) {
		t.Errorf("second invoice (once gone) %v", got)
	}
	if got := discountsOf(i3); fmt.Sprint(got) != fmt.Sprint([]string{forever}) {
		t.Errorf("third invoice (repeating ended, forever not redeemed again) %v", got)
	}
	sp := &stripe.SubscriptionParams{}
	sp.SetStripeAccount("acct_1")
	got, err := sc.Subscriptions.Get(sub, sp)
	if err != nil || len(got.Discounts) != 1 || got.Discount == nil || got.Discount.PromotionCode.ID != forever || got.Discount.ID != got.Discounts[0].ID {
		t.Errorf("subscription %+v %v", got, err)
	}
	pp := &stripe.PromotionCodeParams{}
	pp.SetStripeAccount("acct_1")
	if pc, _ := sc.PromotionCodes.Get(forever, pp); pc.TimesRedeemed != 1 {
		t.Errorf("a carried discount redeemed again: %d", pc.TimesRedeemed)
	}
}

func TestMetadata(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	cus := s.CreateCustomer("acct_1", false, "ann@example.com", t0)
	sub := s.CreateSubscription("acct_1", false, cus, t0)
	s.SetMetadata("acct_1", cus, map[string]string{"tracklane_cid": "cid_cus"})
	s.SetMetadata("acct_1", sub, map[string]string{"tracklane_cid": "cid_sub", "plan": "pro"})
	inv, ch := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 2000,
		Metadata: map[string]string{"tracklane_cid": "cid_inv"}, At: t0.Add(time.Second)})
	ch2 := s.Charge("acct_1", false, ChargeParams{Customer: cus, Amount: 500, Metadata: map[string]string{"tracklane_cid": "cid_pi"}, At: t0.Add(2 * time.Second)})
	pi2 := s.PaymentIntentOf("acct_1", ch2)
	pi1 := s.PaymentIntentOf("acct_1", ch)
	if !strings.HasPrefix(pi1, "pi_") || !strings.HasPrefix(pi2, "pi_") || pi1 == pi2 {
		t.Errorf("PaymentIntentOf %q %q", pi1, pi2)
	}

	cp := &stripe.CustomerParams{}
	cp.SetStripeAccount("acct_1")
	if c, err := sc.Customers.Get(cus, cp); err != nil || c.Metadata["tracklane_cid"] != "cid_cus" {
		t.Errorf("customer metadata %v %v", c.Metadata, err)
	}
	sp := &stripe.SubscriptionParams{}
	sp.SetStripeAccount("acct_1")
	if su, err := sc.Subscriptions.Get(sub, sp); err != nil || su.Metadata["tracklane_cid"] != "cid_sub" {
		t.Errorf("subscription metadata %v %v", su.Metadata, err)
	}
	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	if in, err := sc.Invoices.Get(inv, ip); err != nil || in.Metadata["tracklane_cid"] != "cid_inv" ||
		in.SubscriptionDetails.Metadata["tracklane_cid"] != "cid_sub" || in.PaymentIntent.ID != pi1 {
		t.Errorf("invoice metadata %v %+v %v", in.Metadata, in.SubscriptionDetails, err)
	}
	pp := &stripe.PaymentIntentParams{}
	pp.SetStripeAccount("acct_1")
	if pi, err := sc.PaymentIntents.Get(pi2, pp); err != nil || pi.Metadata["tracklane_cid"] != "cid_pi" || pi.LatestCharge.ID != ch2 {
		t.Errorf("payment intent metadata %v %v", pi.Metadata, err)
	}
	chp := &stripe.ChargeParams{}
	chp.SetStripeAccount("acct_1")
	if c, err := sc.Charges.Get(ch2, chp); err != nil || c.Metadata["tracklane_cid"] != "cid_pi" || c.PaymentIntent.ID != pi2 {
		t.Errorf("charge metadata %v %v", c.Metadata, err)
	}

	// a later SetMetadata shows in GETs and later events, not in older snapshots
	s.SetMetadata("acct_1", pi1, map[string]string{"tracklane_cid": "cid_pi1"})
	s.SetMetadata("acct_1", inv, map[string]string{"tracklane_cid": "", "k": "v"}) // "" removes, as Stripe's update
	s.SetMetadata("acct_1", sub, map[string]string{"plan": "max"})
	if pi, _ := sc.PaymentIntents.Get(pi1, pp); pi.Metadata["tracklane_cid"] != "cid_pi1" {
		t.Errorf("payment intent after SetMetadata %v", pi.Metadata)
	}
	if in, _ := sc.Invoices.Get(inv, ip); fmt.Sprint(in.Metadata) != "map[k:v]" || in.SubscriptionDetails.Metadata["plan"] != "pro" {
		t.Errorf("invoice after SetMetadata %v (subscription_details %v: a snapshot)", in.Metadata, in.SubscriptionDetails.Metadata)
	}
	for _, e := range eventsOf(t, s, "acct_1") {
		if e["type"] == "invoice.paid" {
			o := evObject(e)
			if md := o["metadata"].(map[string]any); md["tracklane_cid"] != "cid_inv" {
				t.Errorf("invoice.paid snapshot changed: %v", md)
			}
		}
	}
	s.CancelSubscription("acct_1", sub, t0.Add(time.Hour))
	evs := eventsOf(t, s, "acct_1")
	if md := evObject(evs[len(evs)-1])["metadata"].(map[string]any); md["plan"] != "max" || md["tracklane_cid"] != "cid_sub" {
		t.Errorf("later event's metadata %v", md)
	}
	mustPanic(t, "metadata of a refund", func() {
		s.SetMetadata("acct_1", s.Refund("acct_1", ch2, 0, t0.Add(time.Hour)), map[string]string{"a": "b"})
	})
}

func TestCheckoutPayment(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	promo := s.CreatePromotionCode("acct_1", false, s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 25, At: t0}), "QUARTER")
	before := s.EventCount("acct_1")
	cs, ch := s.CheckoutPayment("acct_1", false, CheckoutPaymentParams{CustomerEmail: "guest@example.com",
		ClientReferenceID: "cid_123", Metadata: map[string]string{"tracklane_cid": "cid_meta"},
		PaymentIntentMetadata: map[string]string{"order": "42"}, PromotionCode: promo, Amount: 7500, At: t0})
	evs := eventsOf(t, s, "acct_1")[before:]
	if fmt.Sprint(evTypes(evs)) != "[charge.succeeded checkout.session.completed]" {
		t.Fatalf("events %v", evTypes(evs))
	}
	pi := s.PaymentIntentOf("acct_1", ch)
	o := evObject(evs[1])
	if o["id"] != cs || o["payment_intent"] != pi || o["customer"] != nil || o["client_reference_id"] != "cid_123" ||
		o["mode"] != "payment" || o["subscription"] != nil || o["invoice"] != nil || o["amount_total"] != float64(7500) ||
		o["amount_subtotal"] != float64(10000) || o["total_details"].(map[string]any)["amount_discount"] != float64(2500) ||
		o["metadata"].(map[string]any)["tracklane_cid"] != "cid_meta" || o["payment_status"] != "paid" {
		t.Errorf("session %v", o)
	}
	if _, ok := o["discounts"]; ok {
		t.Error("a 2023-10-16 session has discounts (added in 2025-01-27.acacia)")
	}
	chg := evObject(evs[0])
	if chg["id"] != ch || chg["payment_intent"] != pi || chg["invoice"] != nil || chg["customer"] != nil ||
		chg["billing_details"].(map[string]any)["email"] != "guest@example.com" || chg["metadata"].(map[string]any)["order"] != "42" {
		t.Errorf("charge %v", chg)
	}
	csp := &stripe.CheckoutSessionParams{}
	csp.SetStripeAccount("acct_1")
	got, err := sc.CheckoutSessions.Get(cs, csp)
	if err != nil || got.PaymentIntent.ID != pi || got.ClientReferenceID != "cid_123" || got.TotalDetails.AmountDiscount != 2500 {
		t.Errorf("GET session %+v %v", got, err)
	}
	pp := &stripe.PromotionCodeParams{}
	pp.SetStripeAccount("acct_1")
	if pc, _ := sc.PromotionCodes.Get(promo, pp); pc.TimesRedeemed != 1 {
		t.Errorf("times_redeemed %d", pc.TimesRedeemed)
	}

	// the newer shape: discounts [{coupon, promotion_code}]; a customer;
	// a 100%-off session makes no charge
	s.SetShape("acct_n", ShapeNew)
	free := s.CreatePromotionCode("acct_n", false, s.CreateCoupon("acct_n", false, CouponParams{PercentOff: 100, At: t0}), "FREE")
	cus := s.CreateCustomer("acct_n", false, "bob@example.com", t0)
	cs2, ch2 := s.CheckoutPayment("acct_n", false, CheckoutPaymentParams{Customer: cus, CustomerEmail: "bob@example.com", PromotionCode: free, At: t0})
	code, raw := getRaw(t, s, testKey, "acct_n", "/v1/checkout/sessions/"+cs2)
	ds, _ := raw["discounts"].([]any)
	if code != 200 || ch2 != "" || raw["payment_intent"] != nil || raw["customer"] != cus || raw["payment_status"] != "no_payment_required" ||
		len(ds) != 1 || ds[0].(map[string]any)["promotion_code"] != free || ds[0].(map[string]any)["coupon"] == nil {
		t.Errorf("free session %d %q %v", code, ch2, raw)
	}
	if got := evTypes(eventsOf(t, s, "acct_n")); got[len(got)-1] != "checkout.session.completed" || got[len(got)-2] == "charge.succeeded" {
		t.Errorf("free session events %v", got)
	}
	cs3 := s.CompleteCheckout("acct_n", false, CheckoutParams{Customer: cus, AmountTotal: 500, At: t0})
	if _, raw := getRaw(t, s, testKey, "acct_n", "/v1/checkout/sessions/"+cs3); raw["discounts"] != nil {
		t.Errorf("new-shape session without discounts: %v", raw["discounts"])
	}
}

func TestCheckoutSubscription(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	promo := s.CreatePromotionCode("acct_1", false, s.CreateCoupon("acct_1", false, CouponParams{PercentOff: 20, Duration: "forever", At: t0}), "TWENTY")
	before := s.EventCount("acct_1")
	cs, inv, ch := s.CheckoutSubscription("acct_1", false, CheckoutSubscriptionParams{CustomerEmail: "new@example.com",
		ClientReferenceID: "cid_9", Metadata: map[string]string{"tracklane_cid": "cid_s"},
		SubscriptionMetadata: map[string]string{"tracklane_cid": "cid_sub"}, PromotionCode: promo,
		AmountPaid: 4400, Tax: 400, At: t0})
	evs := eventsOf(t, s, "acct_1")[before:]
	want := "[customer.created customer.subscription.created charge.succeeded invoice.paid invoice.payment_succeeded checkout.session.completed]"
	if fmt.Sprint(evTypes(evs)) != want {
		t.Fatalf("events %v", evTypes(evs))
	}
	cus := evObject(evs[0])["id"].(string)
	subObj := evObject(evs[1])
	sub := subObj["id"].(string)
	if subObj["customer"] != cus || subObj["metadata"].(map[string]any)["tracklane_cid"] != "cid_sub" ||
		len(subObj["discounts"].([]any)) != 1 || subObj["discount"].(map[string]any)["promotion_code"] != promo {
		t.Errorf("customer.subscription.created %v", subObj)
	}
	o := evObject(evs[5])
	if o["id"] != cs || o["mode"] != "subscription" || o["customer"] != cus || o["subscription"] != sub || o["invoice"] != inv ||
		o["payment_intent"] != nil || o["client_reference_id"] != "cid_9" || o["amount_total"] != float64(4400) ||
		o["amount_subtotal"] != float64(5000) || fmt.Sprint(o["total_details"]) != "map[amount_discount:1000 amount_shipping:0 amount_tax:400]" ||
		o["customer_details"].(map[string]any)["email"] != "new@example.com" {
		t.Errorf("session %v", o)
	}
	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount("acct_1")
	ip.AddExpand("discounts")
	got, err := sc.Invoices.Get(inv, ip)
	if err != nil || got.Charge.ID != ch || got.Subscription.ID != sub || got.BillingReason != "subscription_create" ||
		got.Subtotal != 5000 || len(got.Discounts) != 1 || got.Discounts[0].PromotionCode.ID != promo ||
		got.Discounts[0].Subscription != sub || got.SubscriptionDetails.Metadata["tracklane_cid"] != "cid_sub" ||
		got.CustomerEmail != "new@example.com" {
		t.Errorf("first invoice %+v %v", got, err)
	}
	// the renewal carries the forever discount
	renewal, _ := s.PayInvoice("acct_1", false, InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 4000, At: t0.AddDate(0, 1, 0)})
	if r, _ := sc.Invoices.Get(renewal, ip); len(r.Discounts) != 1 || r.Discounts[0].ID != got.Discounts[0].ID {
		t.Errorf("renewal discounts %+v", r.Discounts)
	}
	// an existing customer: no customer.created
	cus2 := s.CreateCustomer("acct_1", false, "old@example.com", t0)
	before = s.EventCount("acct_1")
	_, _, ch2 := s.CheckoutSubscription("acct_1", false, CheckoutSubscriptionParams{Customer: cus2, AmountPaid: 1500, At: t0.AddDate(0, 2, 0)})
	if got := evTypes(eventsOf(t, s, "acct_1")[before:]); got[0] != "customer.subscription.created" || len(got) != 5 || ch2 == "" {
		t.Errorf("existing customer events %v", got)
	}
}

func TestCheckoutSessionsList(t *testing.T) {
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	cus := s.CreateCustomer("acct_1", false, "ann@example.com", t0)
	var sessions []string // oldest first
	var pis []string
	for i := 0; i < 5; i++ {
		cs, ch := s.CheckoutPayment("acct_1", false, CheckoutPaymentParams{Customer: cus, Amount: 100, At: t0.Add(time.Duration(i) * time.Second)})
		sessions = append(sessions, cs)
		pis = append(pis, s.PaymentIntentOf("acct_1", ch))
	}
	guest, _ := s.CheckoutPayment("acct_1", false, CheckoutPaymentParams{Amount: 100, At: t0.Add(10 * time.Second)})
	subCS, _, _ := s.CheckoutSubscription("acct_1", false, CheckoutSubscriptionParams{Customer: cus, AmountPaid: 2000, At: t0.Add(11 * time.Second)})
	_, subJSON := getRaw(t, s, testKey, "acct_1", "/v1/checkout/sessions/"+subCS)
	sub := subJSON["subscription"].(string)
	s.CheckoutPayment("acct_1", true, CheckoutPaymentParams{Amount: 100, At: t0}) // live: not listed with a test key

	list := func(p *stripe.CheckoutSessionListParams) []string {
		t.Helper()
		p.SetStripeAccount("acct_1")
		it := sc.CheckoutSessions.List(p)
		var out []string
		for it.Next() {
			out = append(out, it.CheckoutSession().ID)
		}
		if it.Err() != nil {
			t.Fatalf("list: %v", it.Err())
		}
		return out
	}
	if got := list(&stripe.CheckoutSessionListParams{PaymentIntent: stripe.String(pis[2])}); fmt.Sprint(got) != fmt.Sprint([]string{sessions[2]}) {
		t.Errorf("by payment intent %v", got)
	}
	if got := list(&stripe.CheckoutSessionListParams{Subscription: stripe.String(sub)}); fmt.Sprint(got) != fmt.Sprint([]string{subCS}) {
		t.Errorf("by subscription %v", got)
	}
	byCustomer := list(&stripe.CheckoutSessionListParams{Customer: stripe.String(cus), ListParams: stripe.ListParams{Limit: stripe.Int64(2)}})
	want := []string{subCS, sessions[4], sessions[3], sessions[2], sessions[1], sessions[0]}
	if fmt.Sprint(byCustomer) != fmt.Sprint(want) {
		t.Errorf("by customer (pages of 2) %v, want %v", byCustomer, want)
	}
	if all := list(&stripe.CheckoutSessionListParams{}); len(all) != 7 || all[1] != guest {
		t.Errorf("all %v", all)
	}
	if got := list(&stripe.CheckoutSessionListParams{PaymentIntent: stripe.String("pi_none")}); len(got) != 0 {
		t.Errorf("unknown payment intent %v", got)
	}
	s.DeleteObject("acct_1", sessions[0])
	if got := list(&stripe.CheckoutSessionListParams{PaymentIntent: stripe.String(pis[0])}); len(got) != 0 {
		t.Errorf("deleted session listed %v", got)
	}
	if len(s.Unexpected()) != 0 {
		t.Errorf("unexpected: %v", s.Unexpected())
	}
	// refused: unknown or unserved parameters, bad limits and cursors
	for _, q := range []string{"status=complete", "payment_link=plink_1", "customer_details[email]=a@b.c", "expand[]=data.line_items",
		"limit=0", "limit=101", "starting_after=cs_test_nope", "starting_after=" + sessions[1] + "&ending_before=" + sessions[2]} {
		if code, v := getRaw(t, s, testKey, "acct_1", "/v1/checkout/sessions?"+q); code != 400 {
			t.Errorf("%s: %d %v", q, code, v)
		}
	}
	if n := len(s.Unexpected()); n != 4 {
		t.Errorf("%d unexpected calls, want the 4 unknown parameters: %v", n, s.Unexpected())
	}
}

// TestNewRoutesValidAgainstStripeMock reads the coupon, promotion code,
// expanded invoice and checkout sessions routes through stripe-go, then
// replays every request the fake answered 200 against stripe-mock, which
// checks paths and parameters against Stripe's OpenAPI description.
func TestNewRoutesValidAgainstStripeMock(t *testing.T) {
	mock := stripemock.Start(t)
	s := newServer(t)
	sc := newClient(s, testKey, 0)
	const acct = "acct_mock"
	co := s.CreateCoupon(acct, false, CouponParams{PercentOff: 10, At: t0})
	promo := s.CreatePromotionCode(acct, false, co, "MOCK10")
	cs, ch := s.CheckoutPayment(acct, false, CheckoutPaymentParams{Amount: 900, PromotionCode: promo, At: t0})
	_, inv, _ := s.CheckoutSubscription(acct, false, CheckoutSubscriptionParams{CustomerEmail: "m@example.com", PromotionCode: promo, AmountPaid: 900, At: t0.Add(time.Second)})
	_, subJSON := getRaw(t, s, testKey, acct, "/v1/invoices/"+inv)
	s.ResetCalls()

	cp := &stripe.CouponParams{}
	cp.SetStripeAccount(acct)
	pp := &stripe.PromotionCodeParams{}
	pp.SetStripeAccount(acct)
	ip := &stripe.InvoiceParams{}
	ip.SetStripeAccount(acct)
	ip.AddExpand("discounts")
	csp := &stripe.CheckoutSessionParams{}
	csp.SetStripeAccount(acct)
	for _, err := range []error{
		func() error { _, err := sc.Coupons.Get(co, cp); return err }(),
		func() error { _, err := sc.PromotionCodes.Get(promo, pp); return err }(),
		func() error { _, err := sc.Invoices.Get(inv, ip); return err }(),
		func() error { _, err := sc.CheckoutSessions.Get(cs, csp); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	lists := []*stripe.CheckoutSessionListParams{
		{PaymentIntent: stripe.String(s.PaymentIntentOf(acct, ch))},
		{Subscription: stripe.String(subJSON["subscription"].(string))},
		{Customer: stripe.String(subJSON["customer"].(string)), ListParams: stripe.ListParams{Limit: stripe.Int64(1)}},
		{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: t0.Unix()}, ListParams: stripe.ListParams{EndingBefore: stripe.String(cs)}},
	}
	for _, lp := range lists {
		lp.SetStripeAccount(acct)
		it := sc.CheckoutSessions.List(lp)
		for it.Next() {
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
	}
	// the expand[]= form too
	getRaw(t, s, testKey, acct, "/v1/invoices/"+inv+"?expand[]=discounts")
	if u := s.Unexpected(); len(u) != 0 {
		t.Fatalf("unexpected: %v", u)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	n := 0
	for _, c := range s.Calls() {
		if c.Status != http.StatusOK {
			t.Errorf("the fake answered %d to %s?%s", c.Status, c.Path, c.RawQuery)
			continue
		}
		req, _ := http.NewRequest(c.Method, mock+c.Path+"?"+c.RawQuery, nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		req.Header.Set("Stripe-Account", c.Account)
		req.Header.Set("Stripe-Version", "2023-10-16")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("stripe-mock: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("stripe-mock refused %s?%s: %d %s", c.Path, c.RawQuery, resp.StatusCode, body)
		}
		n++
	}
	if n < 9 {
		t.Errorf("replayed %d requests, want at least 9", n)
	}
	// and stripe-mock refuses what the fake refuses as unknown
	req, _ := http.NewRequest(http.MethodGet, mock+"/v1/checkout/sessions?nope=1", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stripe-mock accepted an unknown parameter: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
