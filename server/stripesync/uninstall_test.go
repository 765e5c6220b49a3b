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

func TestUninstallSeenByACheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conn := w.connect("acct_revoked", true)
	testConn := w.connect("acct_revoked", false)
	w.stripe.CreateCustomer("acct_revoked", true, "a@customer.example", time.Now())
	w.check(conn)
	calls := w.stripe.CallCount()

	// Stripe answers 403 account_invalid, "Application access may have been revoked".
	w.stripe.RevokeAccount("acct_revoked")
	_, err := w.app.Engine.CheckNow(context.Background(), conn)
	if apperr.CodeOf(err) != apperr.BadGateway || !strings.Contains(apperr.MessageOf(err), "uninstalled") {
		t.Fatalf("check of an uninstalled account: %v", err)
	}
	c := w.latest(conn.ID)
	if c.Active || c.UninstalledAt == nil {
		t.Fatalf("after the refused check: active %v uninstalled %v", c.Active, c.UninstalledAt)
	}
	if c.LastCheck == nil || !strings.Contains(c.LastCheck.Error, "uninstalled") {
		t.Errorf("last check %+v", c.LastCheck)
	}
	if tc := w.latest(testConn.ID); tc.Active {
		t.Error("a live uninstall left test mode connected")
	}
	// The scheduler no longer calls Stripe for it.
	made := w.stripe.CallCount()
	if made <= calls {
		t.Fatal("the refused check made no call")
	}
	due, err := w.app.Store.DueConnections(context.Background(), time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("%d connections still due", len(due))
	}
	// Check Now answers 409: not connected.
	if _, err := w.app.Engine.CheckNow(context.Background(), c); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("check after uninstall: %v, want conflict", err)
	}
}

func TestRevokedKeyIsNotAnUninstall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conn := w.connect("acct_key", true)
	w.stripe.RevokeKey(liveKey)
	if _, err := w.app.Engine.CheckNow(context.Background(), conn); apperr.CodeOf(err) != apperr.BadGateway {
		t.Fatalf("revoked key: %v", err)
	}
	if c := w.latest(conn.ID); !c.Active || c.UninstalledAt != nil {
		t.Errorf("a revoked platform key disconnected the merchant: active %v uninstalled %v", c.Active, c.UninstalledAt)
	}
}
