package stripesync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// Stories of SPEC section 10: a payment attributed by a click id carried
// into Stripe or by a promotion code, with no email link at all.

// click makes a click through the tracker and returns its id (no email
// link).
func (w *world) click(ua string) string {
	w.t.Helper()
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, w.tenant.ID, w.aff.Code)
	status, data := w.app.Do(w.t, "POST", "/tracking/click/v1", body, "User-Agent: "+ua)
	if status != 200 {
		w.t.Fatalf("click: %d %s", status, data)
	}
	return apptest.Decode[struct {
		CID string `json:"cid"`
	}](w.t, data).CID
}

// sourced is a conversion with its source, as the API shows it.
type sourced struct {
	conv
	Source  string   `json:"source"`
	ClickID *string  `json:"click_id"`
	Flags   []string `json:"flags"`
}

func (w *world) sourced() []sourced {
	w.t.Helper()
	status, data := w.app.Do(w.t, "GET", "/api/v1/conversions?limit=200", nil, "Authorization: Bearer "+w.tenant.Token)
	if status != 200 {
		w.t.Fatalf("conversions: %d %s", status, data)
	}
	return apptest.Decode[struct {
		Data []sourced `json:"data"`
	}](w.t, data).Data
}

// both runs a story by polling and by webhook, in both API shapes.
func both(t *testing.T, story func(t *testing.T, w *world, acct string, deliver func())) {
	for _, shape := range []fakestripe.Shape{fakestripe.Shape2023, fakestripe.ShapeNew} {
		for _, via := range []string{"check", "webhook"} {
			t.Run(shape.String()+"/"+via, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				acct := fmt.Sprintf("acct_src_%d", time.Now().UnixNano()%1e9)
				w.stripe.SetShape(acct, shape)
				conn := w.connect(acct, true)
				deliver := func() {
					if via == "check" {
						w.check(conn)
						return
					}
					evs := w.stripe.Events(acct)
					for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
						evs[i], evs[j] = evs[j], evs[i]
					}
					w.deliver(evs)
				}
				story(t, w, acct, deliver)
				if u := w.stripe.Unexpected(); len(u) != 0 {
					t.Errorf("unexpected Stripe calls: %+v", u)
				}
			})
		}
	}
}

func TestPaymentLinkClickID(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		cid := w.click("Mozilla/5.0 paymentlink")
		// A guest pays through a Payment Link the tracker decorated: the
		// session names the click; the buyer's email was never linked.
		w.stripe.CheckoutPayment(acct, true, fakestripe.CheckoutPaymentParams{CustomerEmail: "guest@buyer.example",
			ClientReferenceID: cid, Amount: 2500, At: time.Now().Add(time.Minute)})
		deliver()
		cs := w.sourced()
		if len(cs) != 1 || cs[0].Source != "click_id" || cs[0].ClickID == nil || *cs[0].ClickID != cid ||
			cs[0].AffiliateID != w.aff.ID || cs[0].Amount != 2500 || cs[0].Commission != 500 {
			t.Fatalf("conversions %+v", cs)
		}
		if h := cs[0].History; len(h) != 1 || !strings.Contains(h[0].Reason, "click id carried into Stripe") {
			t.Errorf("history %+v", h)
		}
	})
}

func TestCheckoutSubscriptionClickIDFollowsTheCustomer(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		cid := w.click("Mozilla/5.0 checkoutsub")
		t0 := time.Now().Add(time.Minute)
		_, _, _ = w.stripe.CheckoutSubscription(acct, true, fakestripe.CheckoutSubscriptionParams{
			CustomerEmail: "other@buyer.example", ClientReferenceID: cid, AmountPaid: 4000, At: t0})
		deliver()
		cs := w.sourced()
		if len(cs) != 1 || cs[0].Source != "click_id" || cs[0].AffiliateID != w.aff.ID {
			t.Fatalf("conversions %+v", cs)
		}
	})
}

func TestMetadataClickID(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		cid := w.click("Mozilla/5.0 metadata")
		t0 := time.Now().Add(time.Minute)
		// The merchant's server put the cookie's click id on the customer.
		cus := w.stripe.CreateCustomer(acct, true, "meta@buyer.example", t0)
		w.stripe.SetMetadata(acct, cus, map[string]string{"tracklane_cid": cid})
		w.stripe.UpdateCustomerEmail(acct, cus, "meta2@buyer.example", t0)
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 3000, At: t0.Add(time.Second)})
		// Garbage and another tenant's click id are ignored, never an error.
		junk := w.stripe.CreateCustomer(acct, true, "junk@buyer.example", t0)
		w.stripe.SetMetadata(acct, junk, map[string]string{"tracklane_cid": strings.Repeat("x", 5000)})
		w.stripe.UpdateCustomerEmail(acct, junk, "junk2@buyer.example", t0)
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: junk, AmountPaid: 3000, At: t0.Add(time.Second)})
		deliver()
		cs := w.sourced()
		if len(cs) != 1 || cs[0].Source != "click_id" || cs[0].ExternalCID != "meta2@buyer.example" {
			t.Fatalf("conversions %+v", cs)
		}
	})
}

func TestOtherTenantsClickIDIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	other := w.app.NewTenant(t, "Other merchant")
	otherAff := w.app.NewAffiliate(t, other.ID, fmt.Sprintf("oth%d", time.Now().UnixNano()%1e9))
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://other.example/"}`, other.ID, otherAff.Code)
	status, data := w.app.Do(t, "POST", "/tracking/click/v1", body, "User-Agent: Mozilla/5.0 other")
	if status != 200 {
		t.Fatalf("click: %d %s", status, data)
	}
	foreign := apptest.Decode[struct {
		CID string `json:"cid"`
	}](t, data).CID
	const acct = "acct_foreign_cid"
	conn := w.connect(acct, true)
	w.stripe.CheckoutPayment(acct, true, fakestripe.CheckoutPaymentParams{CustomerEmail: "x@buyer.example",
		ClientReferenceID: foreign, Amount: 2500, At: time.Now().Add(time.Minute)})
	res := w.check(conn)
	if res.Error != "" || res.ConversionsCreated != 0 {
		t.Errorf("check: %+v", res)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM conversions`); n != 0 {
		t.Errorf("%d conversions from another tenant's click id", n)
	}
}

func TestPromotionCode(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		ctx := context.Background()
		if _, err := (account.Service{Store: w.app.Store}).SetCoupons(ctx, w.tenant.ID, w.aff.ID, []string{"Spring25"}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().Add(-time.Hour)
		coupon := w.stripe.CreateCoupon(acct, true, fakestripe.CouponParams{PercentOff: 25, Duration: "forever", At: t0})
		promo := w.stripe.CreatePromotionCode(acct, true, coupon, "SPRING25")
		other := w.stripe.CreatePromotionCode(acct, true, coupon, "NOBODY")
		cus := w.stripe.CreateCustomer(acct, true, "podcast@listener.example", t0)
		sub := w.stripe.CreateSubscription(acct, true, cus, t0)
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000,
			PromotionCodes: []string{other, promo}, At: t0.Add(time.Minute)})
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000,
			PromotionCodes: []string{promo}, At: t0.Add(2 * time.Minute)})
		deliver()
		cs := w.sourced()
		if len(cs) != 2 {
			t.Fatalf("%d conversions: %+v", len(cs), cs)
		}
		for _, c := range cs {
			if c.Source != "coupon" || c.ClickID != nil || c.AffiliateID != w.aff.ID || c.Commission != 600 {
				t.Errorf("conversion %+v", c)
			}
		}
		if h := cs[1].History; len(h) != 1 || !strings.Contains(h[0].Reason, "attributed by promotion code SPRING25") {
			t.Errorf("history of the first %+v", h)
		}
		// A promotion code's text never changes: each is read once.
		reads := map[string]int{}
		for _, c := range w.stripe.Calls() {
			if strings.HasPrefix(c.Path, "/v1/promotion_codes/") {
				reads[c.Path]++
			}
		}
		for p, n := range reads {
			if n != 1 {
				t.Errorf("%s read %d times", p, n)
			}
		}
	})
}

func TestDeletedPromotionCodeIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := (account.Service{Store: w.app.Store}).SetCoupons(ctx, w.tenant.ID, w.aff.ID, []string{"GONE"}); err != nil {
		t.Fatal(err)
	}
	const acct = "acct_promo_deleted"
	conn := w.connect(acct, true)
	t0 := time.Now().Add(-time.Hour)
	coupon := w.stripe.CreateCoupon(acct, true, fakestripe.CouponParams{AmountOff: 500, Currency: "usd", At: t0})
	promo := w.stripe.CreatePromotionCode(acct, true, coupon, "GONE")
	cus := w.stripe.CreateCustomer(acct, true, "d@buyer.example", t0)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1500, PromotionCodes: []string{promo}, At: t0})
	w.stripe.DeleteObject(acct, promo)
	res := w.check(conn)
	if res.Error != "" || res.ConversionsCreated != 0 {
		t.Errorf("check: %+v", res)
	}
}

func TestCheckoutPromotionCode(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		ctx := context.Background()
		if _, err := (account.Service{Store: w.app.Store}).SetCoupons(ctx, w.tenant.ID, w.aff.ID, []string{"PODCAST"}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().Add(-time.Hour)
		coupon := w.stripe.CreateCoupon(acct, true, fakestripe.CouponParams{AmountOff: 500, Currency: "usd", At: t0})
		promo := w.stripe.CreatePromotionCode(acct, true, coupon, "podcast")
		// A guest pays through Checkout (payment mode) with the code, and
		// a click id of the tenant on the session too: the code wins.
		cid := w.click("Mozilla/5.0 promo checkout")
		w.stripe.CheckoutPayment(acct, true, fakestripe.CheckoutPaymentParams{CustomerEmail: "ear@listener.example",
			ClientReferenceID: cid, PromotionCode: promo, Amount: 1500, At: t0.Add(time.Minute)})
		deliver()
		cs := w.sourced()
		if len(cs) != 1 || cs[0].Source != "coupon" || cs[0].ClickID != nil || cs[0].AffiliateID != w.aff.ID {
			t.Fatalf("conversions %+v", cs)
		}
	})
}

// An affiliate clicks their own link, then links a customer's email (case
// and spaces aside) to their click: the link moves, but it is flagged, and
// the conversion it makes waits for the merchant even after the hold
// period. The same link sent server-side with the tenant's token is trusted.
func TestEmailLinkHijackIsFlagged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ten, err := w.app.Store.Tenant(ctx, w.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	ten.HoldDays = 0
	if _, err := w.app.Store.UpdateTenantSettings(ctx, ten); err != nil {
		t.Fatal(err)
	}
	w.clickAndLink("victim@customer.example", "Mozilla/5.0 honest shopper")
	thief := w.app.NewAffiliate(t, w.tenant.ID, fmt.Sprintf("thief%d", time.Now().UnixNano()%1e9))
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/"}`, w.tenant.ID, thief.Code)
	status, data := w.app.Do(t, "POST", "/tracking/click/v1", body, "User-Agent: Mozilla/5.0 thief")
	if status != 200 {
		t.Fatalf("click: %d %s", status, data)
	}
	cid := apptest.Decode[struct {
		CID string `json:"cid"`
	}](t, data).CID
	w.link(cid, "  Victim@Customer.Example ")

	const acct = "acct_hijack"
	conn := w.connect(acct, true)
	t0 := time.Now().Add(time.Minute)
	cus := w.stripe.CreateCustomer(acct, true, "victim@customer.example", t0)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 5000, At: t0})
	w.check(conn)
	if n, err := w.app.Store.ApproveDue(ctx); err != nil || n != 0 {
		t.Errorf("ApproveDue approved %d (%v): a flagged conversion must wait", n, err)
	}
	cs := w.sourced()
	if len(cs) != 1 || cs[0].AffiliateID != thief.ID || cs[0].Status != "pending" || fmt.Sprint(cs[0].Flags) != "[link_moved_affiliate]" {
		t.Fatalf("conversions %+v", cs)
	}
	if h := cs[0].History; len(h) == 0 || !strings.Contains(h[0].Reason, "flagged (link_moved_affiliate)") {
		t.Errorf("history %+v", h)
	}
	status, page := w.app.Do(t, "GET", "/api/v1/conversions?limit=5", nil, "Authorization: Bearer "+w.tenant.Token)
	if status != 200 || !strings.Contains(string(page), `"flags":["link_moved_affiliate"]`) {
		t.Errorf("API: %d %s", status, page)
	}

	// The merchant's own server links with its token: trusted, no flags.
	cid2 := w.click("Mozilla/5.0 server-side")
	body = fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"victim@customer.example"}`, w.tenant.ID, cid2)
	if s, d := w.app.Do(t, "POST", "/tracking/external-cid/v1", body, "Authorization: Bearer "+w.tenant.Token); s != 200 {
		t.Fatalf("trusted link: %d %s", s, d)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM customer_links WHERE click_id = $1 AND flags = '{}'`, cid2); n != 1 {
		t.Errorf("the trusted link was flagged")
	}
	// A wrong token is refused, not silently ignored.
	if s, _ := w.app.Do(t, "POST", "/tracking/external-cid/v1", body, "Authorization: Bearer tl_pt_"+strings.Repeat("x", 43)); s != 401 {
		t.Errorf("a wrong token answered %d, want 401", s)
	}
}

// One browser that links many customers' emails raises a flag.
func TestVisitorLinkingManyEmailsIsFlagged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cid := w.click("Mozilla/5.0 collector")
	for i := 0; i < 5; i++ {
		w.link(cid, fmt.Sprintf("buyer%d@customer.example", i))
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM customer_links WHERE click_id = $1 AND flags = '{}'`, cid); n != 3 {
		t.Errorf("%d unflagged links, want the first 3", n)
	}
	if n := w.app.QueryInt(t, `SELECT count(*) FROM customer_links WHERE click_id = $1 AND 'visitor_many_emails' = ANY(flags)
		AND 'click_many_emails' = ANY(flags)`, cid); n != 2 {
		t.Errorf("%d links flagged for a browser and a click with many emails, want 2", n)
	}
}

// A renewal paid by a dunning retry days after its invoice was made, then
// refunded and disputed, updates its conversion on an account whose events
// come in the newer shape (no charge.invoice, no invoice.charge): the
// charge is linked to its invoice by what Stripe says.
func TestDunningRenewalRefundedOnNewerAccount(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		w.clickAndLink("dun@customer.example", "Mozilla/5.0 dunning")
		t0 := time.Now().Add(time.Minute)
		cus := w.stripe.CreateCustomer(acct, true, "dun@customer.example", t0)
		sub := w.stripe.CreateSubscription(acct, true, cus, t0)
		w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000, At: t0})
		inv2, ch2 := w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 3000,
			At: t0.Add(24 * time.Hour), PaidAt: t0.Add(6 * 24 * time.Hour)})
		w.stripe.Refund(acct, ch2, 1000, t0.Add(7*24*time.Hour))
		deliver()
		var renewal *sourced
		cs := w.sourced()
		for i := range cs {
			if cs[i].StripeInvoice != nil && *cs[i].StripeInvoice == inv2 {
				renewal = &cs[i]
			}
		}
		if len(cs) != 2 || renewal == nil || renewal.Amount != 2000 || renewal.Commission != 400 {
			t.Fatalf("the renewal after dunning, partly refunded: %+v", cs)
		}
		w.stripe.CreateDispute(acct, ch2, t0.Add(8*24*time.Hour))
		deliver()
		for _, c := range w.sourced() {
			if c.StripeInvoice != nil && *c.StripeInvoice == inv2 && c.Status != "disputed" {
				t.Errorf("after the dispute: %+v", c)
			}
		}
	})
}

// A guest Checkout Session with neither customer nor email is still
// attributed by its click id, and one with nothing to go on is ignored.
func TestCheckoutWithoutCustomerOrEmail(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, w *world, acct string, deliver func()) {
		cid := w.click("Mozilla/5.0 anonymous")
		t0 := time.Now().Add(time.Minute)
		w.stripe.CheckoutPayment(acct, true, fakestripe.CheckoutPaymentParams{ClientReferenceID: cid, Amount: 1000, At: t0})
		w.stripe.CheckoutPayment(acct, true, fakestripe.CheckoutPaymentParams{Amount: 700, At: t0.Add(time.Second)})
		deliver()
		cs := w.sourced()
		if len(cs) != 1 || cs[0].Amount != 1000 || cs[0].Source != "click_id" || cs[0].ExternalCID != "" {
			t.Fatalf("conversions %+v", cs)
		}
	})
}
