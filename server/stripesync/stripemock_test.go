package stripesync_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/appmanifest"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/stripemock"
)

// TestRequestsValidAgainstStripeMock plays stories that make the engine use
// every kind of call it has (backfill, forward paging, the created
// fallback, customer and invoice look-ups, GET /v1/account and the
// platform's own account's calls without Stripe-Account), then replays each request it
// sent to the fake against stripe-mock, which validates paths and
// parameters against Stripe's OpenAPI description.
func TestRequestsValidAgainstStripeMock(t *testing.T) {
	t.Parallel()
	mock := stripemock.Start(t)
	w := newWorld(t)

	const oldAcct, newAcct, ownAcct = "acct_mock_old", "acct_mock_new", "acct_mock_own"
	w.stripe.SetPlatformAccount(ownAcct) // the keys' own account, from the start
	w.stripe.SetShape(newAcct, fakestripe.ShapeNew)
	oldConn, newConn := w.connect(oldAcct, true), w.connect(newAcct, false)
	w.clickAndLink("mia@customer.example", "Mozilla/5.0 mia")
	t0 := time.Now().Add(time.Minute)

	cus := w.stripe.CreateCustomer(oldAcct, true, "mia@customer.example", t0)
	for i := 0; i < 120; i++ { // more than a page
		w.stripe.PayInvoice(oldAcct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 900, At: t0.Add(time.Duration(i) * time.Second)})
	}
	w.check(oldConn)
	for i := 0; i < 120; i++ {
		w.stripe.PayInvoice(oldAcct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 900, At: t0.Add(time.Hour + time.Duration(i)*time.Second)})
	}
	w.check(oldConn) // forward, two pages
	w.stripe.PayInvoice(oldAcct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 900, At: t0.Add(2 * time.Hour)})
	w.stripe.ForgetEventsBefore(oldAcct, t0.Add(90*time.Minute))
	w.check(oldConn) // cursor gone → created[gte]

	ncus := w.stripe.CreateCustomer(newAcct, false, "mia@customer.example", t0)
	w.stripe.Charge(newAcct, false, fakestripe.ChargeParams{Customer: ncus, Amount: 500, At: t0}) // no email: customer fetched
	sub := w.stripe.CreateSubscription(newAcct, false, ncus, t0)
	w.stripe.PayInvoice(newAcct, false, fakestripe.InvoiceParams{Customer: ncus, Subscription: sub, AmountPaid: 700, At: t0.Add(time.Minute)})
	w.check(newConn)

	// Promotion codes: the code behind an invoice's discount (read once),
	// and an invoice whose payload names its discounts only by id (read
	// with its discounts expanded).
	coupon := w.stripe.CreateCoupon(newAcct, false, fakestripe.CouponParams{PercentOff: 10, At: t0})
	p1 := w.stripe.CreatePromotionCode(newAcct, false, coupon, "MOCK1")
	p2 := w.stripe.CreatePromotionCode(newAcct, false, coupon, "MOCK2")
	w.stripe.PayInvoice(newAcct, false, fakestripe.InvoiceParams{Customer: ncus, AmountPaid: 700, PromotionCodes: []string{p1, p2}, At: t0.Add(2 * time.Minute)})
	w.check(newConn)
	// A 2023-10-16 Checkout Session names its promotion code only in its
	// expanded total_details.breakdown.
	oc := w.stripe.CreateCoupon(oldAcct, true, fakestripe.CouponParams{PercentOff: 10, At: t0})
	op := w.stripe.CreatePromotionCode(oldAcct, true, oc, "MOCK3")
	w.stripe.CheckoutPayment(oldAcct, true, fakestripe.CheckoutPaymentParams{CustomerEmail: "g@buyer.example", PromotionCode: op,
		Amount: 900, At: t0.Add(3 * time.Hour)})
	w.check(oldConn)
	// Section 13: a 2023-10-16 credit note names its refund by id only (read
	// with the refund expanded); a charge captured later on a newer-shape
	// account (its customer's invoices listed, whole).
	inv, _ := w.stripe.PayInvoice(oldAcct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 900, At: t0.Add(4 * time.Hour)})
	w.stripe.CreateCreditNote(oldAcct, inv, fakestripe.CreditNoteParams{Refund: 300, Credit: 200, At: t0.Add(5 * time.Hour)})
	w.check(oldConn)
	auth := w.stripe.AuthorizeCharge(newAcct, false, fakestripe.ChargeParams{Customer: ncus, Amount: 800, At: t0.Add(4 * time.Hour)})
	w.stripe.CaptureCharge(newAcct, auth, 0, t0.Add(5*time.Hour))
	w.check(newConn)

	// The platform's own account (an own-account install): its platform
	// account learned with GET /v1/account, its calls without
	// Stripe-Account.
	w.stripe.SetShape(ownAcct, fakestripe.ShapeNew)
	ownConn := w.connect(ownAcct, true)
	ocus := w.stripe.CreateCustomer(ownAcct, true, "mia@customer.example", t0)
	w.stripe.Charge(ownAcct, true, fakestripe.ChargeParams{Customer: ocus, Amount: 500, At: t0})
	w.check(ownConn)

	calls := w.stripe.Calls()
	kinds := map[string]bool{}
	for _, c := range calls {
		switch {
		case c.Path == "/v1/account":
			kinds["platform account"] = true
		case c.Path == "/v1/events" && c.Account == "":
			kinds["own events"] = true
		}
		switch {
		case c.Path == "/v1/events" && strings.Contains(c.RawQuery, "starting_after"):
			kinds["backfill"] = true
		case c.Path == "/v1/events" && strings.Contains(c.RawQuery, "ending_before"):
			kinds["forward"] = true
		case c.Path == "/v1/events" && strings.Contains(c.RawQuery, "created"):
			kinds["created"] = true
		case strings.HasPrefix(c.Path, "/v1/customers/"):
			kinds["customer"] = true
		case c.Path == "/v1/invoices":
			kinds["invoices"] = true
		case strings.HasPrefix(c.Path, "/v1/invoices/") && strings.Contains(c.RawQuery, "expand"):
			kinds["invoice"] = true
		case strings.HasPrefix(c.Path, "/v1/promotion_codes/"):
			kinds["promotion code"] = true
		case strings.HasPrefix(c.Path, "/v1/checkout/sessions/"):
			kinds["checkout session"] = true
		case strings.HasPrefix(c.Path, "/v1/credit_notes/") && strings.Contains(c.RawQuery, "expand"):
			kinds["credit note"] = true
		}
	}
	for _, k := range []string{"backfill", "forward", "created", "customer", "invoices", "invoice", "promotion code", "checkout session",
		"credit note", "platform account", "own events"} {
		if !kinds[k] {
			t.Errorf("the stories made no %s call; calls: %d", k, len(calls))
		}
	}

	checkPermissions(t, calls)

	client := &http.Client{Timeout: 10 * time.Second}
	seen := map[string]bool{}
	for _, c := range calls {
		key := c.Method + " " + c.Path + "?" + c.RawQuery
		if seen[key] {
			continue
		}
		seen[key] = true
		req, _ := http.NewRequest(c.Method, mock+c.Path+"?"+c.RawQuery, nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		if c.Account != "" {
			req.Header.Set("Stripe-Account", c.Account)
		}
		req.Header.Set("Stripe-Version", "2023-10-16")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("stripe-mock: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("stripe-mock refused %s: %d %s", key, resp.StatusCode, body)
		}
	}
	t.Log(fmt.Sprintf("replayed %d distinct requests against stripe-mock", len(seen)))
}

// checkPermissions derives the Stripe App permissions from what the sync
// does — the API paths it called in these stories and the event types it
// reads — and compares them with the committed release manifest: every
// read needs a permission there, and every permission there is needed by a
// read.
func checkPermissions(t *testing.T, calls []fakestripe.Call) {
	t.Helper()
	raw, err := os.ReadFile("../../stripe-app.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Permissions []struct {
			Permission string `json:"permission"`
		} `json:"permissions"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	inManifest := map[string]bool{}
	for _, p := range manifest.Permissions {
		inManifest[p.Permission] = true
	}
	forPath, forEvent := map[string]string{}, map[string]string{}
	for _, p := range appmanifest.Permissions {
		for _, path := range p.Paths {
			forPath[path] = p.Name
		}
		for _, e := range p.Events {
			forEvent[e] = p.Name
		}
	}
	needed := map[string]string{} // permission → a read that needs it
	for _, c := range calls {
		path := c.Path
		for prefix := range forPath {
			if path == prefix || strings.HasPrefix(path, prefix+"/") {
				needed[forPath[prefix]] = path
			}
		}
	}
	for _, e := range stripesync.EventTypes {
		p, ok := forEvent[e]
		if !ok {
			t.Errorf("the sync reads %s events, but no permission names them", e)
			continue
		}
		needed[p] = e + " events"
	}
	for p, why := range needed {
		if !inManifest[p] {
			t.Errorf("the sync reads %s, but stripe-app.json lacks %s", why, p)
		}
	}
	for p := range inManifest {
		if _, ok := needed[p]; !ok {
			t.Errorf("stripe-app.json asks for %s, which no read of the sync needs", p)
		}
	}
}
