package stripesync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Stories of SPEC section 13 (Stripe as merchants really run it), each
// played in both payload shapes, by polling and by webhook.

// runWay is one way a story is played: an account in one shape, read by
// checks or pushed by webhooks.
type runWay struct {
	*world
	t         *testing.T
	acct      string
	conn      tracklane.StripeConnection
	shape     fakestripe.Shape
	webhook   bool
	delivered map[string]bool
	// answers are the webhook answers by event id (the last delivery's).
	answers map[string]int
}

// everyWay runs story in both shapes, by polling and by webhook.
func everyWay(t *testing.T, story func(t *testing.T, r *runWay)) {
	for _, shape := range []fakestripe.Shape{fakestripe.Shape2023, fakestripe.ShapeNew} {
		for _, via := range []string{"check", "webhook"} {
			t.Run(shape.String()+"/"+via, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				acct := fmt.Sprintf("acct_run_%d", time.Now().UnixNano()%1e9)
				w.stripe.SetShape(acct, shape)
				r := &runWay{world: w, t: t, acct: acct, conn: w.connect(acct, true), shape: shape, webhook: via == "webhook",
					delivered: map[string]bool{}, answers: map[string]int{}}
				story(t, r)
				if u := w.stripe.Unexpected(); len(u) != 0 {
					t.Errorf("unexpected Stripe calls: %+v", u)
				}
			})
		}
	}
}

// sync brings Tracklane up to date the way's way: a check; or every event
// not delivered yet pushed to the webhook, oldest first, followed — as a
// deployment's scheduled check would — by a check when a delivery was
// left to it.
func (r *runWay) sync() {
	r.t.Helper()
	if !r.webhook {
		r.check(r.conn)
		return
	}
	if r.push() {
		r.check(r.conn)
	}
}

// push delivers the events not delivered yet, oldest first, and reports
// whether one was left to the next check.
func (r *runWay) push() (deferred bool) {
	r.t.Helper()
	evs := r.stripe.Events(r.acct)
	for i := len(evs) - 1; i >= 0; i-- {
		var e struct{ ID string }
		if err := json.Unmarshal(evs[i], &e); err != nil {
			r.t.Fatal(err)
		}
		if r.delivered[e.ID] {
			continue
		}
		r.delivered[e.ID] = true
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: evs[i], Secret: liveWebhook, Timestamp: time.Now()})
		status, body := r.app.Do(r.t, "POST", "/stripe/webhook", evs[i], "Stripe-Signature: "+sp.Header)
		r.answers[e.ID] = status
		if status == http.StatusOK && strings.Contains(string(body), `"deferred"`) {
			deferred = true
		}
	}
	return deferred
}

// byInvoice and byCharge find the conversion of a payment.
func (r *runWay) byInvoice(id string) *conv {
	for _, c := range r.conversions() {
		if c.StripeInvoice != nil && *c.StripeInvoice == id {
			return &c
		}
	}
	return nil
}

func (r *runWay) byCharge(id string) *conv {
	for _, c := range r.conversions() {
		if c.StripeCharge != nil && *c.StripeCharge == id && c.StripeInvoice == nil {
			return &c
		}
	}
	return nil
}

// want checks a conversion's status, amount and commission.
func (r *runWay) want(what string, c *conv, status string, amount, commission int64) {
	r.t.Helper()
	if c == nil {
		r.t.Errorf("%s: no conversion", what)
		return
	}
	if c.Status != status || c.Amount != amount || c.Commission != commission {
		r.t.Errorf("%s: %s %d/%d, want %s %d/%d (history %+v)", what, c.Status, c.Amount, c.Commission, status, amount, commission, c.History)
	}
}

// Authorise now, capture later: the charge counts when captured, for
// what was captured; one never captured never counts.
func TestCaptureLaterStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		r.clickAndLink("ann@customer.example", "Mozilla/5.0 ann")
		r.clickAndLink("ben@customer.example", "Mozilla/5.0 ben")
		t0 := time.Now().Add(time.Minute)
		ann := r.stripe.CreateCustomer(r.acct, true, "ann@customer.example", t0)
		ben := r.stripe.CreateCustomer(r.acct, true, "ben@customer.example", t0)
		annCh := r.stripe.AuthorizeCharge(r.acct, true, fakestripe.ChargeParams{Customer: ann, BillingEmail: "ann@customer.example", Amount: 10000, At: t0})
		benCh := r.stripe.AuthorizeCharge(r.acct, true, fakestripe.ChargeParams{Customer: ben, BillingEmail: "ben@customer.example", Amount: 3000, At: t0})
		r.sync()
		if cs := r.conversions(); len(cs) != 0 {
			t.Fatalf("authorised, not captured: %+v", cs)
		}

		r.stripe.CaptureCharge(r.acct, annCh, 6000, t0.Add(time.Hour)) // the rest (4000) is released
		r.stripe.ReleaseAuthorization(r.acct, benCh, t0.Add(time.Hour))
		r.sync()
		r.want("captured 6000 of 10000", r.byCharge(annCh), "pending", 6000, 1200)
		if c := r.byCharge(benCh); c != nil {
			t.Errorf("a charge never captured made a conversion: %+v", c)
		}

		r.stripe.Refund(r.acct, annCh, 1000, t0.Add(2*time.Hour))
		r.sync()
		r.want("then refunded 1000 (the released rest is no refund)", r.byCharge(annCh), "pending", 5000, 1000)
		if n := len(r.conversions()); n != 1 {
			t.Errorf("%d conversions, want 1", n)
		}
	})
}

// Refunds that fail or are cancelled give the amount back; each refund
// counts once.
func TestRefundFailsStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		r.clickAndLink("cy@customer.example", "Mozilla/5.0 cy")
		t0 := time.Now().Add(time.Minute)
		cus := r.stripe.CreateCustomer(r.acct, true, "cy@customer.example", t0)
		sub := r.stripe.CreateSubscription(r.acct, true, cus, t0)
		inv, ch := r.stripe.PayInvoice(r.acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 5000, At: t0})
		re1 := r.stripe.Refund(r.acct, ch, 2000, t0.Add(time.Hour))
		r.sync()
		r.want("refunded 2000", r.byInvoice(inv), "pending", 3000, 600)

		r.stripe.FailRefund(r.acct, re1, "", t0.Add(2*time.Hour))
		r.sync()
		r.want("the refund failed", r.byInvoice(inv), "pending", 5000, 1000)

		re2 := r.stripe.Refund(r.acct, ch, 1000, t0.Add(3*time.Hour))
		r.stripe.CancelRefund(r.acct, re2, t0.Add(3*time.Hour+time.Minute))
		r.stripe.Refund(r.acct, ch, 1500, t0.Add(4*time.Hour))
		r.sync()
		r.want("a refund cancelled, another made", r.byInvoice(inv), "pending", 3500, 700)

		r.stripe.Refund(r.acct, ch, 0, t0.Add(5*time.Hour)) // the rest
		r.sync()
		r.want("fully refunded", r.byInvoice(inv), "refunded", 0, 0)
	})
}

// Post-payment credit notes lower a conversion by what they gave back
// other than by refund; a refund-backed part counts once, by its refund;
// a voided note gives its part back.
func TestCreditNotesStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		r.clickAndLink("dot@customer.example", "Mozilla/5.0 dot")
		t0 := time.Now().Add(time.Minute)
		cus := r.stripe.CreateCustomer(r.acct, true, "dot@customer.example", t0)
		inv, _ := r.stripe.PayInvoice(r.acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 10000, At: t0})
		r.sync()
		r.want("paid", r.byInvoice(inv), "pending", 10000, 2000)

		balance := r.stripe.CreateCreditNote(r.acct, inv, fakestripe.CreditNoteParams{Credit: 3000, At: t0.Add(time.Hour)})
		r.sync()
		r.want("3000 credited to the balance", r.byInvoice(inv), "pending", 7000, 1400)

		r.stripe.CreateCreditNote(r.acct, inv, fakestripe.CreditNoteParams{Refund: 2000, At: t0.Add(2 * time.Hour)})
		r.sync()
		r.want("2000 refunded through a credit note (counted once)", r.byInvoice(inv), "pending", 5000, 1000)

		r.stripe.CreateCreditNote(r.acct, inv, fakestripe.CreditNoteParams{Refund: 500, OutOfBand: 1000, At: t0.Add(3 * time.Hour)})
		r.sync()
		r.want("500 refunded and 1000 outside Stripe", r.byInvoice(inv), "pending", 3500, 700)

		r.stripe.VoidCreditNote(r.acct, balance, t0.Add(4*time.Hour))
		r.sync()
		r.want("the balance credit voided", r.byInvoice(inv), "pending", 6500, 1300)
		c := r.byInvoice(inv)
		if c != nil && !strings.Contains(c.History[len(c.History)-1].Reason, "credited back") {
			t.Errorf("history does not say credited back: %+v", c.History)
		}
	})
}

// A lookup Stripe keeps refusing (here a key without customer_read) stops
// the connection two checks; at the third its event is parked, shown and
// counted, and the later events go on; it applies once the lookup works.
func TestStuckEventIsParkedStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		ctx := context.Background()
		r.clickAndLink("eve@customer.example", "Mozilla/5.0 eve")
		r.clickAndLink("fay@customer.example", "Mozilla/5.0 fay")
		t0 := time.Now().Add(time.Minute)
		eve := r.stripe.CreateCustomer(r.acct, true, "eve@customer.example", t0)
		// No email on the charge: its customer must be read.
		stuck := r.stripe.Charge(r.acct, true, fakestripe.ChargeParams{Customer: eve, Amount: 4000, At: t0})
		fay := r.stripe.CreateCustomer(r.acct, true, "fay@customer.example", t0.Add(time.Second))
		inv, _ := r.stripe.PayInvoice(r.acct, true, fakestripe.InvoiceParams{Customer: fay, AmountPaid: 2000, At: t0.Add(time.Second)})
		r.stripe.RefuseLookups(fakestripe.Refusal{PathPrefix: "/v1/customers/"})

		if r.webhook {
			r.push()
			// 2023-10-16: the charge is invoice-less, its customer's email
			// is needed now and refused: Stripe is told to retry. Newer
			// shape: the charge is left to the next check.
			want := http.StatusServiceUnavailable
			if r.shape == fakestripe.ShapeNew {
				want = http.StatusOK
			}
			if got := r.answersFor(stuck); got != want {
				t.Errorf("the stuck event's webhook answered %d, want %d", got, want)
			}
			r.want("pushed, the later payment applied at once", r.byInvoice(inv), "pending", 2000, 400)
		}
		for i := 1; i <= 2; i++ {
			_, err := r.app.Engine.CheckNow(ctx, r.conn)
			if err == nil || !strings.Contains(err.Error(), "could not be read") {
				t.Fatalf("check %d: %v, want the stuck event's error", i, err)
			}
			if !r.webhook && r.byInvoice(inv) != nil {
				t.Fatalf("check %d: the page went on past the stuck event before it was parked", i)
			}
		}
		if n, _ := r.app.Store.ParkedEventCount(ctx, r.conn.ID); n != 0 {
			t.Fatalf("parked after two checks: %d", n)
		}
		// One object's refused lookup is no refusal of the connection.
		if c, err := r.app.Store.ConnectionByID(ctx, r.conn.ID); err != nil || c.RefusedSince != nil {
			t.Fatalf("a refused lookup made the check refused: since %v, %v", c.RefusedSince, err)
		}
		r.check(r.conn) // the third: parked, the rest goes on
		r.want("the later payment", r.byInvoice(inv), "pending", 2000, 400)
		parked, err := r.app.Store.TenantParkedEvents(ctx, r.tenant.ID)
		if err != nil || len(parked) != 1 || parked[0].Type != "charge.succeeded" || !strings.Contains(parked[0].Error, "403") ||
			parked[0].Failures != 3 {
			t.Fatalf("parked events: %+v %v", parked, err)
		}
		if r.byCharge(stuck) != nil {
			t.Fatal("the parked charge applied")
		}
		r.check(r.conn) // tried again, still refused: stays parked
		if n, _ := r.app.Store.ParkedEventCount(ctx, r.conn.ID); n != 1 {
			t.Errorf("parked after another refused try: %d", n)
		}

		r.stripe.AllowLookups("/v1/customers/")
		r.check(r.conn)
		r.want("the parked charge, once its lookup works", r.byCharge(stuck), "pending", 4000, 800)
		if n, _ := r.app.Store.ParkedEventCount(ctx, r.conn.ID); n != 0 {
			t.Errorf("still parked after it applied: %d", n)
		}
		if res := r.check(r.conn); res.ConversionsCreated != 0 || res.ConversionsUpdated != 0 {
			t.Errorf("a check after it changed things: %+v", res)
		}
	})
}

func (r *runWay) answersFor(chargeID string) int {
	for _, raw := range r.stripe.Events(r.acct) {
		var e struct {
			ID   string
			Type string
			Data struct {
				Object struct{ ID string }
			}
		}
		if json.Unmarshal(raw, &e) == nil && e.Type == "charge.succeeded" && e.Data.Object.ID == chargeID {
			return r.answers[e.ID]
		}
	}
	return 0
}

// On accounts whose events come in the newer shape, charges are linked to
// their invoices by invoice_payment.paid — also across the pages of a
// forward read — and cost no Stripe call; only an invoice-less charge of a
// customer costs one (its customer's invoices, read in 2023-10-16). Events
// a webhook applied cost the check nothing but its list. Both shapes end
// the same.
func TestLinksExactAndCheapStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		r.clickAndLink("gil@customer.example", "Mozilla/5.0 gil")
		r.clickAndLink("hoa@customer.example", "Mozilla/5.0 hoa")
		r.stripe.CreateCustomer(r.acct, true, "zed@customer.example", time.Now())
		r.sync()
		r.check(r.conn) // the forward cursor starts here: the rest is read oldest first, page after page
		t0 := time.Now().Add(time.Minute)
		gil := r.stripe.CreateCustomer(r.acct, true, "gil@customer.example", t0)
		sub := r.stripe.CreateSubscription(r.acct, true, gil, t0)
		var invoices, charges []string
		for i := 0; i < 70; i++ { // over two pages of events
			inv, ch := r.stripe.PayInvoice(r.acct, true, fakestripe.InvoiceParams{Customer: gil, Subscription: sub, AmountPaid: 1000,
				At: t0.Add(time.Duration(i) * time.Minute)})
			invoices, charges = append(invoices, inv), append(charges, ch)
		}
		hoa := r.stripe.CreateCustomer(r.acct, true, "hoa@customer.example", t0)
		loose := r.stripe.Charge(r.acct, true, fakestripe.ChargeParams{Customer: hoa, BillingEmail: "hoa@customer.example", Amount: 700,
			At: t0.Add(2 * time.Hour)})
		for i := 0; i < 70; i += 10 {
			r.stripe.Refund(r.acct, charges[i], 400, t0.Add(3*time.Hour))
		}
		r.stripe.ResetCalls()
		r.sync()
		lookups, lists := 0, 0
		for _, c := range r.stripe.Calls() {
			switch {
			case c.Path == "/v1/events":
				lists++
			case c.Path == "/v1/invoices":
				lookups++
				if !strings.Contains(c.RawQuery, "customer="+hoa) {
					t.Errorf("an invoice list for another customer than the invoice-less charge's: %s", c.RawQuery)
				}
			default:
				t.Errorf("a lookup: %s %s", c.Path, c.RawQuery)
			}
		}
		wantLookups := 0
		if r.shape == fakestripe.ShapeNew {
			wantLookups = 1
		}
		if lookups != wantLookups {
			t.Errorf("%d invoice lists, want %d", lookups, wantLookups)
		}
		if r.webhook && r.shape == fakestripe.ShapeNew && lists != 3 {
			t.Errorf("the check after the webhooks made %d list calls, want the 3 pages", lists)
		}
		for i, inv := range invoices {
			if i%10 == 0 {
				r.want("refunded renewal "+inv, r.byInvoice(inv), "pending", 600, 120)
			} else {
				r.want("renewal "+inv, r.byInvoice(inv), "pending", 1000, 200)
			}
		}
		r.want("the invoice-less charge", r.byCharge(loose), "pending", 700, 140)
		if n := len(r.conversions()); n != 71 {
			t.Errorf("%d conversions, want 71", n)
		}
	})
}

// A refund read before its invoice_payment.paid — a first check reads
// newest first, pages apart; webhooks may come in any order — still lowers
// its invoice's conversion, with no Stripe call: the store joins the
// refund to the invoice by the charge's payment intent.
func TestRefundBeforeItsInvoiceLinkStory(t *testing.T) {
	t.Parallel()
	everyWay(t, func(t *testing.T, r *runWay) {
		r.clickAndLink("ida@customer.example", "Mozilla/5.0 ida")
		t0 := time.Now().Add(time.Minute)
		ida := r.stripe.CreateCustomer(r.acct, true, "ida@customer.example", t0)
		sub := r.stripe.CreateSubscription(r.acct, true, ida, t0)
		var invoices, charges []string
		for i := 0; i < 80; i++ { // pages of events between the first invoice and its refund
			inv, ch := r.stripe.PayInvoice(r.acct, true, fakestripe.InvoiceParams{Customer: ida, Subscription: sub, AmountPaid: 2000,
				At: t0.Add(time.Duration(i) * time.Minute)})
			invoices, charges = append(invoices, inv), append(charges, ch)
		}
		r.stripe.Refund(r.acct, charges[0], 500, t0.Add(3*time.Hour))
		r.stripe.CreateDispute(r.acct, charges[1], t0.Add(3*time.Hour))
		if r.webhook { // newest first: the refund and the dispute before anything they refer to
			evs := r.stripe.Events(r.acct)
			r.deliver(evs)
			for _, raw := range evs {
				var e struct{ ID string }
				_ = json.Unmarshal(raw, &e)
				r.delivered[e.ID] = true
			}
			// Before any check: the refund met its invoice through the
			// invoice_payment.paid that came after it.
			r.want("pushed newest first", r.byInvoice(invoices[0]), "pending", 1500, 300)
		}
		r.stripe.ResetCalls()
		r.sync()
		r.check(r.conn) // what webhooks left to it
		for _, c := range r.stripe.Calls() {
			if c.Path != "/v1/events" && c.Path != "/v1/account" { // the platform's own account, learned once
				t.Errorf("a lookup: %s %s", c.Path, c.RawQuery)
			}
		}
		r.want("the refunded first invoice", r.byInvoice(invoices[0]), "pending", 1500, 300)
		if c := r.byInvoice(invoices[1]); c == nil || c.Status != "disputed" {
			t.Errorf("the disputed second invoice: %+v", c)
		}
		r.want("another", r.byInvoice(invoices[79]), "pending", 2000, 400)
	})
}
