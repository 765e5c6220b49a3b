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

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// appSecret signs the Stripe App's requests in these stories.
const appSecret = "absec_story_secret"

// newAppWorld is newWorld with the Stripe App's secret set, so stories go
// through the app's own endpoints (settings, check-now, status) as a
// merchant's Dashboard does; env overrides the configuration.
func newAppWorld(t *testing.T, env map[string]string) *world {
	t.Helper()
	fs := fakestripe.New()
	t.Cleanup(fs.Close)
	fs.AddKey(liveKey)
	fs.AddKey(testKey)
	vars := map[string]string{
		"STRIPE_SECRET_KEY": liveKey, "STRIPE_TEST_SECRET_KEY": testKey, "STRIPE_API_BASE": fs.URL(),
		"STRIPE_WEBHOOK_SECRET": liveWebhook, "STRIPE_TEST_WEBHOOK_SECRET": testWebhook, "STRIPE_APP_SECRET": appSecret,
	}
	for k, v := range env {
		vars[k] = v
	}
	w := &world{t: t, app: apptest.New(t, vars), stripe: fs}
	w.tenant = w.app.NewTenant(t, "Merchant")
	w.aff = w.app.NewAffiliate(t, w.tenant.ID, fmt.Sprintf("aff%d", time.Now().UnixNano()%1e9))
	return w
}

func modeOf(livemode bool) string {
	if livemode {
		return "live"
	}
	return "test"
}

// appCall posts a request of the Stripe App for account, signed as Stripe
// signs it; fields are the body's other members.
func (w *world) appCall(path, account string, livemode bool, fields string) (int, []byte) {
	w.t.Helper()
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: []byte(fmt.Sprintf(`{"user_id":"usr_story","account_id":%q}`, account)), Secret: appSecret, Timestamp: time.Now(),
	}).Header
	body := fmt.Sprintf(`{"user_id":"usr_story","account_id":%q,"mode":%q%s}`, account, modeOf(livemode), fields)
	return w.app.Do(w.t, "POST", path, body, "Stripe-Signature: "+sig, "Content-Type: application/json")
}

// saveSettings connects account in a mode through the app's settings page.
func (w *world) saveSettings(account string, livemode bool) {
	w.t.Helper()
	fields := fmt.Sprintf(`,"tenant_id":%q,"personal_token":%q`, w.tenant.ID, w.tenant.Token)
	if s, body := w.appCall("/stripe-app/settings", account, livemode, fields); s != http.StatusOK {
		w.t.Fatalf("settings: %d %s", s, body)
	}
}

// appStatus is /stripe-app/status as the app reads it.
type appStatus struct {
	Connected bool `json:"connected"`
	LastCheck *struct {
		Error *string `json:"error"`
	} `json:"last_check"`
}

func (w *world) status(account string, livemode bool) appStatus {
	w.t.Helper()
	s, body := w.appCall("/stripe-app/status", account, livemode, "")
	if s != http.StatusOK {
		w.t.Fatalf("status: %d %s", s, body)
	}
	return apptest.Decode[appStatus](w.t, body)
}

// post delivers one event to the endpoint of a mode, signed with secret.
func (w *world) post(raw []byte, livemode bool, secret string) (int, string) {
	w.t.Helper()
	path := "/stripe/webhook/test"
	if livemode {
		path = "/stripe/webhook"
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: secret, Timestamp: time.Now()})
	s, body := w.app.Do(w.t, "POST", path, raw, "Stripe-Signature: "+sp.Header, "Content-Type: application/json")
	return s, string(body)
}

// deliverAll posts every event of account (one mode's story) to that
// mode's endpoint with its secret, and fails on any answer but 200 or on
// an event ignored for any reason but its type.
func (w *world) deliverAll(account string, livemode bool) {
	w.t.Helper()
	secret := testWebhook
	if livemode {
		secret = liveWebhook
	}
	for _, raw := range w.stripe.Events(account) {
		if s, body := w.post(raw, livemode, secret); s != http.StatusOK || (strings.Contains(body, "ignored") && !strings.Contains(body, "event type not used")) {
			w.t.Fatalf("webhook: %d %s", s, body)
		}
	}
}

// deauthEvent is account.application.deauthorized created at, for account
// ("" for the platform's own: no "account").
func deauthEvent(id, account string, livemode bool, at time.Time) []byte {
	acct := ""
	if account != "" {
		acct = fmt.Sprintf(`"account":%q,`, account)
	}
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"account.application.deauthorized",%s"livemode":%t,"created":%d,`+
		`"api_version":"2023-10-16","data":{"object":{"id":"ca_app","object":"application","name":"Tracklane"}}}`,
		id, acct, livemode, at.Unix()))
}

// The self-hoster's own account: the app is installed on the account whose
// keys the server holds. Every call goes without Stripe-Account, its
// account-less events apply by webhook as by polling, in both payload
// shapes and both modes, and an account-less uninstall disconnects it.
func TestOwnAccountInstall(t *testing.T) {
	t.Parallel()
	const own = "acct_1OwnBusiness"
	for _, shape := range []fakestripe.Shape{fakestripe.Shape2023, fakestripe.ShapeNew} {
		for _, livemode := range []bool{true, false} {
			for _, way := range []string{"polling", "webhook"} {
				t.Run(fmt.Sprintf("%s/%s/%s", shape, modeOf(livemode), way), func(t *testing.T) {
					t.Parallel()
					w := newAppWorld(t, nil)
					w.stripe.SetPlatformAccount(own)
					w.stripe.SetShape(own, shape)
					w.clickAndLink("owen@customer.example", "Mozilla/5.0 owen")
					w.saveSettings(own, livemode)

					t0 := time.Now().Add(time.Minute)
					cus := w.stripe.CreateCustomer(own, livemode, "owen@customer.example", t0)
					sub := w.stripe.CreateSubscription(own, livemode, cus, t0)
					_, ch := w.stripe.PayInvoice(own, livemode, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: 5000, At: t0})
					w.stripe.Charge(own, livemode, fakestripe.ChargeParams{Customer: cus, Amount: 1200, At: t0.Add(time.Minute)})
					w.stripe.Refund(own, ch, 1000, t0.Add(time.Hour))
					for _, raw := range w.stripe.Events(own) {
						if strings.Contains(string(raw), `"account"`) {
							t.Fatalf("an own-account event names an account: %s", raw)
						}
					}
					if way == "polling" {
						if s, body := w.appCall("/stripe-app/check-now", own, livemode, ""); s != http.StatusOK {
							t.Fatalf("check now: %d %s", s, body)
						}
					} else {
						w.deliverAll(own, livemode)
						// A newer-shape charge that names no invoice is
						// left by its webhook to the next check (SPEC 13).
						if shape == fakestripe.ShapeNew {
							if s, body := w.appCall("/stripe-app/check-now", own, livemode, ""); s != http.StatusOK {
								t.Fatalf("check now: %d %s", s, body)
							}
						}
					}

					cs := w.conversions()
					want := "pending"
					if !livemode {
						want = "test"
					}
					if len(cs) != 2 {
						t.Fatalf("%d conversions: %+v", len(cs), cs)
					}
					amounts := map[int64]bool{}
					for _, c := range cs {
						amounts[c.Amount] = true
						if c.Status != want || c.AffiliateID != w.aff.ID || c.Livemode != livemode {
							t.Errorf("conversion %+v", c)
						}
					}
					if !amounts[4000] || !amounts[1200] {
						t.Errorf("amounts %v, want the refunded invoice (4000) and the charge (1200)", amounts)
					}
					// No call named the platform's own account; it learned
					// which one that is with GET /v1/account, once.
					accountReads := 0
					for _, c := range w.stripe.Calls() {
						if c.Account != "" {
							t.Errorf("a call for the platform's own account sent Stripe-Account: %+v", c)
						}
						if c.Path == "/v1/account" {
							accountReads++
						}
					}
					if accountReads != 1 {
						t.Errorf("GET /v1/account read %d times, want once", accountReads)
					}
					if u := w.stripe.Unexpected(); len(u) != 0 {
						t.Errorf("unexpected calls: %+v", u)
					}
					if st := w.status(own, livemode); !st.Connected || (way == "polling" && (st.LastCheck == nil || st.LastCheck.Error != nil)) {
						t.Errorf("status %+v", st)
					}

					// The app uninstalled from one's own account: the
					// event names no account either.
					if s, body := w.post(deauthEvent("evt_own_deauth", "", livemode, time.Now()), livemode, map[bool]string{true: liveWebhook, false: testWebhook}[livemode]); s != http.StatusOK || strings.Contains(body, "ignored") {
						t.Fatalf("deauthorized: %d %s", s, body)
					}
					if st := w.status(own, livemode); st.Connected {
						t.Error("the own account is still connected after its uninstall")
					}
				})
			}
		}
	}
}

// Both URLs take both kinds of event: one of a connected account (with
// "account") and one of the platform's own (without). An own event while
// the platform's account is not connected is ignored, not an error.
func TestBothKindsOfEventAtEachURL(t *testing.T) {
	t.Parallel()
	const own, merchant = "acct_1Platform", "acct_1Merchant"
	for _, livemode := range []bool{true, false} {
		t.Run(modeOf(livemode), func(t *testing.T) {
			t.Parallel()
			w := newAppWorld(t, nil)
			w.stripe.SetPlatformAccount(own)
			w.clickAndLink("m@customer.example", "Mozilla/5.0 m")
			w.clickAndLink("o@customer.example", "Mozilla/5.0 o")
			w.saveSettings(merchant, livemode)
			t0 := time.Now().Add(time.Minute)
			w.stripe.PayInvoice(merchant, livemode, fakestripe.InvoiceParams{
				Customer: w.stripe.CreateCustomer(merchant, livemode, "m@customer.example", t0), AmountPaid: 3000, At: t0})
			w.stripe.PayInvoice(own, livemode, fakestripe.InvoiceParams{
				Customer: w.stripe.CreateCustomer(own, livemode, "o@customer.example", t0), AmountPaid: 2000, At: t0})

			secret := map[bool]string{true: liveWebhook, false: testWebhook}[livemode]
			for _, raw := range w.stripe.Events(own) {
				if s, body := w.post(raw, livemode, secret); s != http.StatusOK || !strings.Contains(body, "account not connected") {
					t.Fatalf("own event, own account not connected: %d %s", s, body)
				}
			}
			w.deliverAll(merchant, livemode)
			w.saveSettings(own, livemode)
			w.deliverAll(own, livemode)
			if cs := w.conversions(); len(cs) != 2 {
				t.Fatalf("%d conversions, want the merchant's and the platform's own: %+v", len(cs), cs)
			}
		})
	}
}

// Only an uninstall created after the latest connect disconnects: one
// created before (a retried old event, after a reinstall) changes nothing,
// for a connected account and for the platform's own.
func TestOldUninstallAfterReinstall(t *testing.T) {
	t.Parallel()
	const own = "acct_1OwnReinstall"
	for _, account := range []string{"acct_1Reinstall", own} {
		for _, livemode := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/%s", account, modeOf(livemode)), func(t *testing.T) {
				t.Parallel()
				w := newAppWorld(t, nil)
				w.stripe.SetPlatformAccount(own)
				secret := map[bool]string{true: liveWebhook, false: testWebhook}[livemode]
				header := account
				if account == own {
					header = "" // the platform's own events name no account
				}
				w.saveSettings(account, livemode)

				// Created before this connect: ignored.
				if s, body := w.post(deauthEvent("evt_before", header, livemode, time.Now().Add(-time.Hour)), livemode, secret); s != http.StatusOK ||
					!strings.Contains(body, "uninstall created before the latest connect") {
					t.Fatalf("old uninstall: %d %s", s, body)
				}
				if !w.status(account, livemode).Connected {
					t.Fatal("an uninstall older than the connect disconnected")
				}

				// The real uninstall, then the app is installed again.
				uninstall := deauthEvent("evt_uninstall", header, livemode, time.Now())
				if s, body := w.post(uninstall, livemode, secret); s != http.StatusOK || strings.Contains(body, "ignored") {
					t.Fatalf("uninstall: %d %s", s, body)
				}
				if w.status(account, livemode).Connected {
					t.Fatal("still connected after the uninstall")
				}
				time.Sleep(1100 * time.Millisecond) // Stripe's times are whole seconds
				w.saveSettings(account, livemode)
				// Stripe retries the same event: it changes nothing now.
				if s, body := w.post(uninstall, livemode, secret); s != http.StatusOK || !strings.Contains(body, "before the latest connect") {
					t.Fatalf("retried uninstall: %d %s", s, body)
				}
				if !w.status(account, livemode).Connected {
					t.Error("a retried old uninstall disconnected the reinstalled app")
				}
			})
		}
	}
}

// A sandbox install is served by the app's managed sandbox, with keys the
// server does not hold: Stripe refuses the test key (403). The connection
// says so and stays connected; it is tried at every check, never taken for
// an uninstall.
func TestSandboxRefusesTheTestKey(t *testing.T) {
	t.Parallel()
	const sbx = "acct_1Sandbox"
	w := newAppWorld(t, nil)
	w.stripe.Sandbox(sbx)
	w.saveSettings(sbx, false)
	s, body := w.appCall("/stripe-app/check-now", sbx, false, "")
	if s != http.StatusBadGateway || !strings.Contains(string(body), "Stripe refused access since ") {
		t.Fatalf("check of a sandbox: %d %s", s, body)
	}
	st := w.status(sbx, false)
	if !st.Connected || st.LastCheck == nil || st.LastCheck.Error == nil || !strings.Contains(*st.LastCheck.Error, "Stripe refused access since ") {
		t.Fatalf("status %+v", st)
	}
	conn, err := w.app.Store.Connection(context.Background(), sbx, false)
	if err != nil || !conn.Active || conn.UninstalledAt != nil || conn.RefusedSince == nil {
		t.Fatalf("connection %+v %v", conn, err)
	}
	due, err := w.app.Store.DueConnections(context.Background(), time.Now().Add(2*time.Hour))
	if err != nil || len(due) != 1 || due[0].ID != conn.ID {
		t.Errorf("the refused connection is not due for its next check: %+v %v", due, err)
	}
}

// Each URL takes a list of signing secrets: an event signed by any is
// accepted, one signed by another secret is refused; each mode has its own.
func TestWebhookSecretLists(t *testing.T) {
	t.Parallel()
	w := newAppWorld(t, map[string]string{
		"STRIPE_WEBHOOK_SECRET":      "whsec_live_account, whsec_live_connect",
		"STRIPE_TEST_WEBHOOK_SECRET": "whsec_test_account,whsec_test_connect",
	})
	for _, tc := range []struct {
		livemode bool
		secret   string
		want     int
	}{
		{true, "whsec_live_account", 200}, {true, "whsec_live_connect", 200}, {true, "whsec_test_account", 400}, {true, "whsec_live", 400},
		{false, "whsec_test_account", 200}, {false, "whsec_test_connect", 200}, {false, "whsec_live_connect", 400},
	} {
		raw, _ := json.Marshal(map[string]any{"id": "evt_secret", "object": "event", "type": "invoice.paid", "livemode": tc.livemode,
			"account": "acct_1Nobody", "created": time.Now().Unix(), "data": map[string]any{"object": map[string]any{"id": "in_1"}}})
		if s, body := w.post(raw, tc.livemode, tc.secret); s != tc.want {
			t.Errorf("%s mode, signed with %s: %d %s, want %d", modeOf(tc.livemode), tc.secret, s, body, tc.want)
		}
	}
}

// When Stripe cannot say which account the keys belong to, checks of
// connected accounts go on (with Stripe-Account, as always), and the next
// check asks again.
func TestUnknownPlatformAccountDoesNotStopChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const acct = "acct_1Elsewhere"
	w.stripe.InjectFault(fakestripe.Fault{PathPrefix: "/v1/account", Status: http.StatusInternalServerError, Count: 4})
	conn := w.connect(acct, true)
	w.clickAndLink("e@customer.example", "Mozilla/5.0 e")
	t0 := time.Now().Add(time.Minute)
	w.stripe.PayInvoice(acct, true, fakestripe.InvoiceParams{Customer: w.stripe.CreateCustomer(acct, true, "e@customer.example", t0), AmountPaid: 1500, At: t0})
	if res := w.check(conn); res.ConversionsCreated != 1 {
		t.Fatalf("check while GET /v1/account fails: %+v", res)
	}
	w.check(conn)
	reads, ok := 0, 0
	for _, c := range w.stripe.Calls() {
		if c.Path == "/v1/account" {
			reads++
			if c.Status == http.StatusOK {
				ok++
			}
		} else if c.Account != acct {
			t.Errorf("a call for %s went without its Stripe-Account: %+v", acct, c)
		}
	}
	if reads != 5 || ok != 1 {
		t.Errorf("GET /v1/account: %d reads, %d answered; want 4 failed tries in the first check and 1 in the second", reads, ok)
	}
}
