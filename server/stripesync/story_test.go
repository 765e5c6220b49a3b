package stripesync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	liveKey     = "sk_live_platform"
	testKey     = "sk_test_platform"
	liveWebhook = "whsec_live_secret"
	testWebhook = "whsec_test_secret"
)

// world is an app wired to a fake Stripe, with one tenant and affiliate.
type world struct {
	t      *testing.T
	app    *apptest.App
	stripe *fakestripe.Server
	tenant apptest.Tenant
	aff    tracklane.Affiliate
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fs := fakestripe.New()
	t.Cleanup(fs.Close)
	fs.AddKey(liveKey)
	fs.AddKey(testKey)
	app := apptest.New(t, map[string]string{
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_TEST_SECRET_KEY": testKey, "STRIPE_API_BASE": fs.URL(),
		"STRIPE_WEBHOOK_SECRET": liveWebhook, "STRIPE_TEST_WEBHOOK_SECRET": testWebhook,
	})
	w := &world{t: t, app: app, stripe: fs}
	w.tenant = app.NewTenant(t, "Merchant")
	w.aff = app.NewAffiliate(t, w.tenant.ID, fmt.Sprintf("aff%d", time.Now().UnixNano()%1e9))
	return w
}

// clickAndLink makes a click through the tracker and links email to it.
func (w *world) clickAndLink(email, ua string) string {
	w.t.Helper()
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, w.tenant.ID, w.aff.Code)
	status, data := w.app.Do(w.t, "POST", "/tracking/click/v1", body, "User-Agent: "+ua)
	if status != 200 {
		w.t.Fatalf("click: %d %s", status, data)
	}
	cid := apptest.Decode[struct {
		CID string `json:"cid"`
	}](w.t, data).CID
	w.link(cid, email)
	return cid
}

func (w *world) link(cid, email string) {
	w.t.Helper()
	body := fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":%q}`, w.tenant.ID, cid, email)
	if status, data := w.app.Do(w.t, "POST", "/tracking/external-cid/v1", body); status != 200 {
		w.t.Fatalf("link: %d %s", status, data)
	}
}

func (w *world) connect(account string, livemode bool) tracklane.StripeConnection {
	w.t.Helper()
	conn, err := w.app.Store.Connect(context.Background(), w.tenant.ID, account, livemode, "usr_1", "…abcd")
	if err != nil {
		w.t.Fatalf("connect: %v", err)
	}
	return conn
}

func (w *world) check(conn tracklane.StripeConnection) tracklane.CheckResult {
	w.t.Helper()
	res, err := w.app.Engine.CheckNow(context.Background(), conn)
	if err != nil {
		w.t.Fatalf("check: %v", err)
	}
	return res
}

type conv struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	Amount             int64   `json:"amount"`
	Currency           string  `json:"currency"`
	Commission         int64   `json:"commission"`
	AffiliateID        string  `json:"affiliate_id"`
	ExternalCID        string  `json:"external_cid"`
	StripeInvoice      *string `json:"stripe_invoice"`
	StripeSubscription *string `json:"stripe_subscription"`
	StripeCharge       *string `json:"stripe_charge"`
	Livemode           bool    `json:"livemode"`
	CreatedAt          string  `json:"created_at"`
	History            []struct {
		Status      string  `json:"status"`
		Reason      string  `json:"reason"`
		StripeEvent *string `json:"stripe_event"`
		Amount      int64   `json:"amount"`
		Commission  int64   `json:"commission"`
	} `json:"history"`
}

// deliver posts each event to the live webhook, signed, in the order given.
func (w *world) deliver(events []json.RawMessage) {
	w.t.Helper()
	for _, raw := range events {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: liveWebhook, Timestamp: time.Now()})
		if s, d := w.app.Do(w.t, "POST", "/stripe/webhook", raw, "Stripe-Signature: "+sp.Header); s != http.StatusOK {
			w.t.Fatalf("webhook: %d %s", s, d)
		}
	}
}

// conversions reads the tenant's conversions through the API, oldest first.
func (w *world) conversions() []conv {
	w.t.Helper()
	status, data := w.app.Do(w.t, "GET", "/api/v1/conversions?limit=200", nil, "Authorization: Bearer "+w.tenant.Token)
	if status != 200 {
		w.t.Fatalf("conversions: %d %s", status, data)
	}
	l := apptest.Decode[struct {
		Data []conv `json:"data"`
	}](w.t, data)
	out := make([]conv, len(l.Data))
	for i, c := range l.Data {
		out[len(l.Data)-1-i] = c
	}
	return out
}

func TestSubscriptionStory(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_story"
	conn := w.connect(acct, true)
	w.clickAndLink("  Alice@Customer.Example ", "Mozilla/5.0 story")

	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "alice@customer.example", t0)
	sub := w.stripe.CreateSubscription(acct, true, cus, t0)
	var charges []string
	for m := 0; m < 3; m++ {
		_, ch := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 5000, Tax: 500, At: t0.AddDate(0, m, 0)})
		charges = append(charges, ch)
	}
	res := w.check(conn)
	if res.ConversionsCreated != 3 || res.EventsSeen == 0 {
		t.Fatalf("first check: %+v", res)
	}
	cs := w.conversions()
	if len(cs) != 3 {
		t.Fatalf("%d conversions", len(cs))
	}
	for _, c := range cs {
		if c.Status != "pending" || c.Amount != 4500 || c.Commission != 900 || c.Currency != "usd" || c.AffiliateID != w.aff.ID ||
			c.ExternalCID != "alice@customer.example" || c.StripeSubscription == nil || *c.StripeSubscription != sub || !c.Livemode {
			t.Errorf("conversion %+v", c)
		}
		if len(c.History) != 1 || c.History[0].StripeEvent == nil {
			t.Errorf("history %+v", c.History)
		}
	}

	w.stripe.Refund(acct, charges[2], 1000, t0.AddDate(0, 2, 1))
	w.stripe.CancelSubscription(acct, sub, t0.AddDate(0, 2, 2))
	res = w.check(conn)
	if res.ConversionsUpdated != 1 {
		t.Errorf("second check updated %d, want 1 (refund and cancellation of the last)", res.ConversionsUpdated)
	}
	cs = w.conversions()
	last := cs[2]
	if last.Status != "cancelled" || last.Amount != 3500 || last.Commission != 700 {
		t.Errorf("after partial refund and cancellation: %+v", last)
	}
	if cs[0].Status != "pending" || cs[1].Status != "pending" {
		t.Errorf("earlier payments (past their hold when cancelled) changed: %s %s", cs[0].Status, cs[1].Status)
	}
	if n := len(last.History); n < 2 || last.History[n-1].StripeEvent == nil {
		t.Errorf("history of the last: %+v", last.History)
	}

	// Nothing new: nothing changes, however often it is checked.
	again := w.check(conn)
	if again.ConversionsCreated != 0 || again.ConversionsUpdated != 0 {
		t.Errorf("a check with nothing new changed things: %+v", again)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM conversion_history`); n != 3+2 && n != 3+1 {
		t.Errorf("%d history rows", n)
	}
	if len(w.stripe.Unexpected()) != 0 {
		t.Errorf("unexpected Stripe calls: %+v", w.stripe.Unexpected())
	}
}

func TestFullRefundDisputeAndSelfReferral(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_refunds"
	conn := w.connect(acct, true)
	w.clickAndLink("bob@customer.example", "Mozilla/5.0 bob")
	w.clickAndLink(w.aff.Email, "Mozilla/5.0 self")
	w.clickAndLink("dee@customer.example", "Mozilla/5.0 dee")
	t0 := time.Now().Add(time.Minute)

	bob := w.stripe.CreateCustomer(acct, true, "bob@customer.example", t0)
	_, bobCharge := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: bob, AmountPaid: 2000, At: t0})
	self := w.stripe.CreateCustomer(acct, true, w.aff.Email, t0)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: self, AmountPaid: 2000, At: t0.Add(time.Second)})
	dee := w.stripe.CreateCustomer(acct, true, "dee@customer.example", t0)
	_, deeCharge := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: dee, AmountPaid: 3000, At: t0.Add(2 * time.Second)})
	w.check(conn)

	w.stripe.Refund(acct, bobCharge, 0, t0.Add(time.Hour))
	dp := w.stripe.CreateDispute(acct, deeCharge, t0.Add(time.Hour))
	w.check(conn)
	byEmail := map[string]conv{}
	for _, c := range w.conversions() {
		byEmail[c.ExternalCID] = c
	}
	if c := byEmail["bob@customer.example"]; c.Status != "refunded" || c.Amount != 0 || c.Commission != 0 {
		t.Errorf("full refund: %+v", c)
	}
	if c := byEmail[w.aff.Email]; c.Status != "rejected" {
		t.Errorf("self-referral: %+v", c)
	}
	if c := byEmail["dee@customer.example"]; c.Status != "disputed" {
		t.Errorf("dispute: %+v", c)
	}
	w.stripe.CloseDispute(acct, dp, "won", t0.Add(2*time.Hour))
	w.check(conn)
	for _, c := range w.conversions() {
		if c.ExternalCID == "dee@customer.example" && (c.Status != "pending" || c.Commission != 600) {
			t.Errorf("dispute won: %+v", c)
		}
	}
}

func TestPaymentBeforeLinkAndTestMode(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_late"
	conn := w.connect(acct, false) // test mode
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, w.tenant.ID, w.aff.Code)
	_, data := w.app.Do(t, "POST", "/tracking/click/v1", body, "User-Agent: Mozilla/5.0 late")
	cid := apptest.Decode[struct {
		CID string `json:"cid"`
	}](t, data).CID

	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, false, "carol@customer.example", t0)
	w.stripe.PayInvoice(acct, false, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0})
	if res := w.check(conn); res.ConversionsCreated != 0 {
		t.Fatalf("a payment without a link made a conversion")
	}
	if len(w.conversions()) != 0 {
		t.Fatal("conversion without a link")
	}
	w.link(cid, "Carol@Customer.Example") // the thank-you page fires after Checkout
	cs := w.conversions()
	if len(cs) != 1 || cs[0].Status != "test" || cs[0].Livemode || cs[0].Amount != 1000 {
		t.Fatalf("after the link: %+v", cs)
	}
	if res := w.check(conn); res.ConversionsCreated != 0 {
		t.Errorf("the next check created it again")
	}
}

func TestWebhookAndCheckApplyOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_hooks"
	conn := w.connect(acct, true)
	w.clickAndLink("erin@customer.example", "Mozilla/5.0 erin")
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "erin@customer.example", t0)
	inv, _ := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 7000, At: t0})
	_ = inv

	deliver := func(path, secret string, body []byte) int {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
		status, _ := w.app.Do(t, "POST", path, body, "Stripe-Signature: "+sp.Header, "Content-Type: application/json")
		return status
	}
	for _, raw := range w.stripe.Events(acct) {
		for i := 0; i < 2; i++ { // Stripe may deliver twice
			if s := deliver("/stripe/webhook", liveWebhook, raw); s != 200 {
				t.Fatalf("webhook: %d", s)
			}
		}
	}
	if cs := w.conversions(); len(cs) != 1 || cs[0].Amount != 7000 {
		t.Fatalf("after webhooks: %+v", cs)
	}
	res := w.check(conn)
	if res.ConversionsCreated != 0 || res.ConversionsUpdated != 0 {
		t.Errorf("the check re-applied webhook events: %+v", res)
	}
	if cs := w.conversions(); len(cs) != 1 || len(cs[0].History) != 1 {
		t.Errorf("doubled: %+v", cs)
	}

	raw := w.stripe.Events(acct)[0]
	if s := deliver("/stripe/webhook", "whsec_wrong", raw); s != 400 {
		t.Errorf("wrong secret: %d, want 400", s)
	}
	if s, _ := w.app.Do(t, "POST", "/stripe/webhook", raw); s != 400 {
		t.Errorf("unsigned: %d, want 400", s)
	}
	// A test event at the live endpoint is ignored there.
	tcus := w.stripe.CreateCustomer(acct, false, "erin@customer.example", t0)
	w.stripe.PayInvoice(acct, false, fakestripe.InvoiceParams{Customer: tcus, AmountPaid: 100, At: t0})
	for _, raw := range w.stripe.Events(acct)[:2] {
		if s := deliver("/stripe/webhook", liveWebhook, raw); s != 200 {
			t.Errorf("test event at live endpoint: %d", s)
		}
	}
	if len(w.conversions()) != 1 {
		t.Error("a test event at the live endpoint made a conversion")
	}
}

func TestConcurrentCheckNow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_twice"
	conn := w.connect(acct, true)
	w.clickAndLink("fay@customer.example", "Mozilla/5.0 fay")
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "fay@customer.example", t0)
	for i := 0; i < 250; i++ {
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 100 + int64(i), At: t0.Add(time.Duration(i) * time.Second)})
	}
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Delay: 200 * time.Millisecond, Count: 3})
	var wg sync.WaitGroup
	results := make([]tracklane.CheckResult, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = w.app.Engine.CheckNow(context.Background(), conn)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("check %d: %v", i, errs[i])
		}
	}
	if results[0].ConversionsCreated != 250 || results[1].ConversionsCreated != 250 {
		t.Errorf("both presses should answer the one check's result: %+v", results)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions`); n != 250 {
		t.Errorf("%d conversions, want 250", n)
	}
}

func TestStripeFaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_faults"
	conn := w.connect(acct, true)
	w.clickAndLink("gus@customer.example", "Mozilla/5.0 gus")
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "gus@customer.example", t0)
	for i := 0; i < 150; i++ {
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0.Add(time.Duration(i) * time.Second)})
	}
	// A 500 and a 429 in the middle of paging, and a body cut short: retried.
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Status: 500, Count: 1, AfterCalls: 1})
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Status: 429, Count: 1, AfterCalls: 2})
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Truncate: true, Count: 1, AfterCalls: 3})
	if res := w.check(conn); res.ConversionsCreated != 150 {
		t.Fatalf("check through faults: %+v", res)
	}
	// A Stripe outage longer than the retries: the check fails, keeps its
	// place, and the next one finishes the work.
	for i := 0; i < 150; i++ {
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0.Add(time.Hour + time.Duration(i)*time.Second)})
	}
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/events", Status: 500, Count: 10, AfterCalls: 1})
	if _, err := w.app.Engine.CheckNow(context.Background(), conn); apperr.CodeOf(err) != apperr.BadGateway {
		t.Fatalf("outage: %v, want bad_gateway", err)
	}
	latest, _ := w.app.Store.ConnectionByID(context.Background(), conn.ID)
	if latest.LastCheck == nil || latest.LastCheck.Error == "" {
		t.Errorf("the failed check's error is not kept: %+v", latest.LastCheck)
	}
	w.stripe.ClearFaults()
	w.check(conn)
	if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions`); n != 300 {
		t.Errorf("%d conversions after recovery, want 300", n)
	}
	// A revoked key breaks the connection with a message.
	w.stripe.RevokeKey(liveKey)
	_, err := w.app.Engine.CheckNow(context.Background(), conn)
	if apperr.CodeOf(err) != apperr.BadGateway {
		t.Fatalf("revoked key: %v", err)
	}
	latest, _ = w.app.Store.ConnectionByID(context.Background(), conn.ID)
	if latest.LastCheck == nil || latest.LastCheck.Error == "" {
		t.Errorf("revoked key: no error shown: %+v", latest.LastCheck)
	}
}

func TestNewShapeEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_newshape"
	w.stripe.SetShape(acct, fakestripe.ShapeNew)
	conn := w.connect(acct, true)
	w.clickAndLink("hal@customer.example", "Mozilla/5.0 hal")
	w.clickAndLink("ivy@customer.example", "Mozilla/5.0 ivy")
	t0 := time.Now().Add(time.Minute)
	hal := w.stripe.CreateCustomer(acct, true, "hal@customer.example", t0)
	sub := w.stripe.CreateSubscription(acct, true, hal, t0)
	_, ch := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: hal, Subscription: sub, AmountPaid: 12000, Tax: 2000, At: t0})
	ivy := w.stripe.CreateCustomer(acct, true, "ivy@customer.example", t0)
	w.stripe.Charge(acct, true, fakestripe.ChargeParams{Customer: ivy, Amount: 800, At: t0.Add(time.Second)})
	w.stripe.Refund(acct, ch, 5000, t0.Add(time.Hour))
	w.check(conn)
	cs := w.conversions()
	if len(cs) != 2 {
		t.Fatalf("%d conversions, want 2 (an invoice and an invoice-less charge): %+v", len(cs), cs)
	}
	for _, c := range cs {
		switch c.ExternalCID {
		case "hal@customer.example":
			if c.Amount != 5000 || c.Commission != 1000 || c.StripeSubscription == nil || *c.StripeSubscription != sub {
				t.Errorf("new-shape invoice (10000 net, 5000 refunded): %+v", c)
			}
		case "ivy@customer.example":
			if c.Amount != 800 || c.StripeSubscription != nil {
				t.Errorf("new-shape charge: %+v", c)
			}
		}
	}
	if len(w.stripe.Unexpected()) != 0 {
		t.Errorf("unexpected calls: %+v", w.stripe.Unexpected())
	}
	// The invoice's charge is linked by its invoice_payment.paid event;
	// only the invoice-less charge's customer is asked (once): Stripe's
	// 2023-10-16 answer names the charge that paid each invoice.
	lists := 0
	for _, c := range w.stripe.Calls() {
		if c.Path == "/v1/invoices" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("%d invoice list calls, want 1", lists)
	}
}

// On an account whose events come in the newer shape (no charge.invoice, no
// invoice.charge), two invoices of the same customer, amount and hour stay
// apart: the refund of the second one's charge updates the second. (That
// amounts and dates are never used is shown by the dunning story, where
// they would pick no invoice.)
func TestNewShapeChargeLinkedExactly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_newshape_exact"
	w.stripe.SetShape(acct, fakestripe.ShapeNew)
	conn := w.connect(acct, true)
	w.clickAndLink("kim@customer.example", "Mozilla/5.0 kim")
	t0 := time.Now().Add(time.Minute)
	kim := w.stripe.CreateCustomer(acct, true, "kim@customer.example", t0)
	subA := w.stripe.CreateSubscription(acct, true, kim, t0)
	subB := w.stripe.CreateSubscription(acct, true, kim, t0)
	invA, _ := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: kim, Subscription: subA, AmountPaid: 3000, At: t0})
	invB, chB := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: kim, Subscription: subB, AmountPaid: 3000, At: t0.Add(10 * time.Minute)})
	w.check(conn)
	w.stripe.Refund(acct, chB, 3000, t0.AddDate(0, 0, 5))
	w.check(conn)
	got := map[string]string{}
	for _, c := range w.conversions() {
		got[*c.StripeInvoice] = c.Status
	}
	if got[invA] != "pending" || got[invB] != "refunded" {
		t.Errorf("statuses by invoice: %v (want %s pending, %s refunded)", got, invA, invB)
	}
	if len(w.stripe.Unexpected()) != 0 {
		t.Errorf("unexpected calls: %+v", w.stripe.Unexpected())
	}
}

func TestEventsInAnyOrder(t *testing.T) {
	t.Parallel()
	// The same story delivered in order and in reverse ends the same.
	final := func(reverse bool) []string {
		w := newWorld(t)
		acct := fmt.Sprintf("acct_order_%v", reverse)
		w.connect(acct, true)
		w.clickAndLink("jo@customer.example", "Mozilla/5.0 jo")
		t0 := time.Now().Add(time.Minute)
		cus := w.stripe.CreateCustomer(acct, true, "jo@customer.example", t0)
		sub := w.stripe.CreateSubscription(acct, true, cus, t0)
		_, ch1 := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000, At: t0})
		w.stripe.Refund(acct, ch1, 1000, t0.Add(time.Hour))
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000, At: t0.AddDate(0, 1, 0)})
		w.stripe.CancelSubscription(acct, sub, t0.AddDate(0, 1, 1))
		events := w.stripe.Events(acct) // newest first
		if !reverse {
			for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
				events[i], events[j] = events[j], events[i]
			}
		}
		w.deliver(events)
		var out []string
		for _, c := range w.conversions() {
			out = append(out, fmt.Sprintf("%s %d %d", c.Status, c.Amount, c.Commission))
		}
		return out
	}
	inOrder, reversed := final(false), final(true)
	if fmt.Sprint(inOrder) != fmt.Sprint(reversed) || len(inOrder) != 2 {
		t.Errorf("in order %v, reversed %v", inOrder, reversed)
	}
	if fmt.Sprint(inOrder) != "[pending 2000 400 cancelled 3000 600]" {
		t.Errorf("end state %v", inOrder)
	}
}

func TestForgottenCursorFallsBackToCreated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_forgot"
	conn := w.connect(acct, true)
	w.clickAndLink("kim@customer.example", "Mozilla/5.0 kim")
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "kim@customer.example", t0)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0})
	w.check(conn)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 2000, At: t0.Add(10 * time.Second)})
	w.stripe.ForgetEventsBefore(acct, t0.Add(5*time.Second)) // the cursor event is gone
	res := w.check(conn)
	if res.ConversionsCreated != 1 {
		t.Fatalf("after the cursor expired: %+v", res)
	}
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 3000, At: t0.Add(20 * time.Second)})
	if res := w.check(conn); res.ConversionsCreated != 1 {
		t.Errorf("forward reading after the fallback: %+v", res)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions`); n != 3 {
		t.Errorf("%d conversions, want 3", n)
	}
}

func TestHoldPeriodApproval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_hold"
	conn := w.connect(acct, true)
	w.clickAndLink("lee@customer.example", "Mozilla/5.0 lee")
	t0 := time.Now().Add(2 * time.Second)
	cus := w.stripe.CreateCustomer(acct, true, "lee@customer.example", t0)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0})
	hold := 0
	if _, err := w.app.Accounts.UpdateSettings(context.Background(), w.tenant.ID, accountSettingsHold(&hold)); err != nil {
		t.Fatal(err)
	}
	w.check(conn)
	time.Sleep(3 * time.Second)
	n, err := w.app.Store.ApproveDue(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("approve due: %d %v", n, err)
	}
	cs := w.conversions()
	if len(cs) != 1 || cs[0].Status != "approved" || len(cs[0].History) != 2 || cs[0].History[1].Reason != "hold period ended" {
		t.Errorf("after the hold period: %+v", cs)
	}
}

func TestPaymentInTheClicksSecond(t *testing.T) {
	t.Parallel()
	// Stripe's times are whole seconds; a checkout right after the click
	// lands in the same second and must still count as after it.
	w := newWorld(t)
	const acct = "acct_fast"
	conn := w.connect(acct, true)
	w.clickAndLink("nia@customer.example", "Mozilla/5.0 nia")
	cus := w.stripe.CreateCustomer(acct, true, "nia@customer.example", time.Now())
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 4900, At: time.Now()})
	if res := w.check(conn); res.ConversionsCreated != 1 {
		t.Fatalf("a payment in the click's second: %+v", res)
	}
}

// Under the recurring rule "first", a customer's earlier payment that
// arrives after a later one was made a conversion becomes the conversion,
// and the later one is withdrawn (rejected, with the reason in its
// history), whichever way the events arrive.
func TestLateEarlierPaymentWithdrawsUnderFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ten, err := w.app.Store.Tenant(ctx, w.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	ten.Recurring = conversion.Recurring{Kind: "first"}
	if _, err := w.app.Store.UpdateTenantSettings(ctx, ten); err != nil {
		t.Fatal(err)
	}
	const acct = "acct_withdraw"
	w.connect(acct, true)
	w.clickAndLink("late@customer.example", "Mozilla/5.0 late")
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "late@customer.example", t0)
	sub := w.stripe.CreateSubscription(acct, true, cus, t0)
	inv1, _ := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000, At: t0})
	inv2, _ := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 4000, At: t0.Add(24 * time.Hour)})
	w.deliver(w.stripe.Events(acct)) // newest first: the later payment arrives first
	cs := w.conversions()
	if len(cs) != 2 {
		t.Fatalf("%d conversions, want 2: %+v", len(cs), cs)
	}
	first, later := cs[0], cs[1]
	if first.StripeInvoice == nil || *first.StripeInvoice != inv1 || first.Status != "pending" || first.Commission != 600 {
		t.Errorf("the earlier payment: %+v", first)
	}
	if later.StripeInvoice == nil || *later.StripeInvoice != inv2 || later.Status != "rejected" {
		t.Errorf("the later payment: %+v", later)
	}
	h := later.History
	if len(h) != 2 || h[0].Status != "pending" || h[1].Status != "rejected" || !strings.Contains(h[1].Reason, "withdrawn by the recurring rule") {
		t.Errorf("history of the withdrawn conversion: %+v", h)
	}
}
