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

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/tracklane"
)

// latest reads a connection as stored now.
func (w *world) latest(id int64) tracklane.StripeConnection {
	w.t.Helper()
	c, err := w.app.Store.ConnectionByID(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// deauthorize delivers account.application.deauthorized for account to
// the endpoint of its mode.
func (w *world) deauthorize(account string, livemode bool) {
	w.t.Helper()
	raw := json.RawMessage(fmt.Sprintf(`{"id":"evt_deauth_%d","object":"event","type":"account.application.deauthorized",`+
		`"livemode":%t,"account":%q,"created":%d,"api_version":"2023-10-16","data":{"object":{"id":"ca_app","object":"application","name":"Tracklane"}}}`,
		time.Now().UnixNano(), livemode, account, time.Now().Unix()))
	path, secret := "/stripe/webhook/test", testWebhook
	if livemode {
		path, secret = "/stripe/webhook", liveWebhook
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: secret, Timestamp: time.Now()})
	if s, d := w.app.Do(w.t, "POST", path, []byte(raw), "Stripe-Signature: "+sp.Header); s != http.StatusOK {
		w.t.Fatalf("deauthorize webhook: %d %s", s, d)
	}
}

func TestUninstallByWebhookDisconnects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	live := w.connect("acct_gone", true)
	test := w.connect("acct_gone", false)
	other := w.connect("acct_stays", true)

	// A test-mode uninstall ends test mode only.
	w.deauthorize("acct_gone", false)
	if c := w.latest(test.ID); c.Active || c.UninstalledAt == nil {
		t.Errorf("test connection after a test-mode uninstall: active %v uninstalled %v", c.Active, c.UninstalledAt)
	}
	if c := w.latest(live.ID); !c.Active || c.UninstalledAt != nil {
		t.Errorf("live connection after a test-mode uninstall: active %v uninstalled %v", c.Active, c.UninstalledAt)
	}
	firstAt := *w.latest(test.ID).UninstalledAt

	// A live uninstall ends the account's install: both modes; the first time stays.
	w.deauthorize("acct_gone", true)
	for _, id := range []int64{live.ID, test.ID} {
		if c := w.latest(id); c.Active || c.UninstalledAt == nil {
			t.Errorf("connection %d after the live uninstall: active %v uninstalled %v", id, c.Active, c.UninstalledAt)
		}
	}
	if got := *w.latest(test.ID).UninstalledAt; !got.Equal(firstAt) {
		t.Errorf("uninstall time moved from %v to %v", firstAt, got)
	}
	if c := w.latest(other.ID); !c.Active {
		t.Error("another account was disconnected")
	}
	// No longer polled.
	due, err := w.app.Store.DueConnections(context.Background(), time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range due {
		if c.AccountID == "acct_gone" {
			t.Errorf("uninstalled connection %d is still due for checks", c.ID)
		}
	}
	// Installing again and saving the settings reconnects and forgets the uninstall.
	again := w.connect("acct_gone", true)
	if !again.Active || again.UninstalledAt != nil {
		t.Errorf("reconnected: active %v uninstalled %v", again.Active, again.UninstalledAt)
	}
}

// A key Stripe refuses for an account (403: the app's access revoked
// there, as Stripe words it, or a sandbox) is not an uninstall, in either
// mode: the check fails with "Stripe refused access since <time>", the
// connection stays connected and due, each later check tries again and
// keeps the first time, webhooks still apply, and the first check Stripe
// answers again clears it.
func TestRefusedAccessIsNotAnUninstall(t *testing.T) {
	t.Parallel()
	for _, livemode := range []bool{true, false} {
		t.Run(modeOf(livemode), func(t *testing.T) {
			t.Parallel()
			w := newAppWorld(t, nil)
			const acct = "acct_revoked"
			w.clickAndLink("a@customer.example", "Mozilla/5.0 a")
			w.saveSettings(acct, livemode)
			t0 := time.Now().Add(time.Minute)
			cus := w.stripe.CreateCustomer(acct, livemode, "a@customer.example", t0)
			w.stripe.PayInvoice(acct, livemode, fakestripe.InvoiceParams{Customer: cus, AmountPaid: 1000, At: t0})
			conn, err := w.app.Store.Connection(context.Background(), acct, livemode)
			if err != nil {
				t.Fatal(err)
			}
			w.check(conn)

			// Stripe answers 403 account_invalid, "Application access may have been revoked".
			w.stripe.RevokeAccount(acct)
			s, body := w.appCall("/stripe-app/check-now", acct, livemode, "")
			if s != http.StatusBadGateway || !strings.Contains(string(body), "Stripe refused access since ") {
				t.Fatalf("check now of a refused account: %d %s", s, body)
			}
			first := w.latest(conn.ID)
			if !first.Active || first.UninstalledAt != nil || first.RefusedSince == nil {
				t.Fatalf("after the refused check: active %v uninstalled %v refused %v", first.Active, first.UninstalledAt, first.RefusedSince)
			}
			since := first.RefusedSince.UTC().Format(time.RFC3339)
			if st := w.status(acct, livemode); !st.Connected || st.LastCheck == nil || st.LastCheck.Error == nil ||
				!strings.HasPrefix(*st.LastCheck.Error, "Stripe refused access since "+since) {
				t.Fatalf("status %+v", st)
			}
			// Still scheduled; the scheduler's next check is refused too
			// and keeps the first time.
			due, err := w.app.Store.DueConnections(context.Background(), time.Now().Add(2*time.Hour))
			if err != nil || len(due) != 1 || due[0].ID != conn.ID {
				t.Fatalf("due %+v %v", due, err)
			}
			calls := w.stripe.CallCount()
			if _, err := w.app.Engine.CheckNow(context.Background(), conn); apperr.CodeOf(err) != apperr.BadGateway ||
				!strings.Contains(apperr.MessageOf(err), "Stripe refused access since "+since) {
				t.Fatalf("second refused check: %v", err)
			}
			if w.stripe.CallCount() <= calls {
				t.Error("the second check did not try Stripe again")
			}
			if again := w.latest(conn.ID); again.RefusedSince == nil || !again.RefusedSince.Equal(*first.RefusedSince) || !again.Active {
				t.Errorf("refused since moved from %v to %v", first.RefusedSince, again.RefusedSince)
			}
			// The key refused as a whole parks no event.
			if n, err := w.app.Store.ParkedEventCount(context.Background(), conn.ID); err != nil || n != 0 {
				t.Errorf("parked events after refused checks: %d %v", n, err)
			}

			// By webhook: the account's events still apply.
			w.clickAndLink("b@customer.example", "Mozilla/5.0 b")
			bcus := w.stripe.CreateCustomer(acct, livemode, "b@customer.example", t0)
			w.stripe.PayInvoice(acct, livemode, fakestripe.InvoiceParams{Customer: bcus, AmountPaid: 2000, At: t0.Add(time.Minute)})
			w.deliverAll(acct, livemode)
			if cs := w.conversions(); len(cs) != 2 {
				t.Errorf("%d conversions after the webhooks, want 2", len(cs))
			}

			// Access restored: the next check passes and clears it.
			w.stripe.RestoreAccount(acct)
			w.check(conn)
			if c := w.latest(conn.ID); c.RefusedSince != nil || c.LastCheck == nil || c.LastCheck.Error != "" || !c.Active {
				t.Errorf("after access came back: refused %v last %+v", c.RefusedSince, c.LastCheck)
			}
			if st := w.status(acct, livemode); st.LastCheck == nil || st.LastCheck.Error != nil {
				t.Errorf("status after access came back %+v", st)
			}
		})
	}
}

// A rolled platform key (401) is refused access too, never an uninstall.
func TestRevokedKeyIsNotAnUninstall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conn := w.connect("acct_key", true)
	w.stripe.RevokeKey(liveKey)
	_, err := w.app.Engine.CheckNow(context.Background(), conn)
	if apperr.CodeOf(err) != apperr.BadGateway || !strings.Contains(apperr.MessageOf(err), "Stripe refused access since ") {
		t.Fatalf("revoked key: %v", err)
	}
	if c := w.latest(conn.ID); !c.Active || c.UninstalledAt != nil || c.RefusedSince == nil {
		t.Errorf("a revoked platform key disconnected the merchant: active %v uninstalled %v refused %v", c.Active, c.UninstalledAt, c.RefusedSince)
	}
}
