package stripeapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/tracklane"
)

var endpoints = []string{"/stripe-app/settings", "/stripe-app/status", "/stripe-app/check-now", "/stripe-app/disconnect"}

func TestSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	tenantID, token := e.tenant("Shop")
	settings := func(userID, accountID string) string {
		b, _ := json.Marshal(map[string]string{"user_id": userID, "account_id": accountID, "mode": "test",
			"tenant_id": tenantID, "personal_token": token})
		return string(b)
	}
	now := time.Now()
	refused := []struct {
		name, body, signature string
	}{
		{"tampered account_id", settings("usr_1", "acct_2"), sign(secret, "usr_1", "acct_1", now)},
		{"tampered user_id", settings("usr_2", "acct_1"), sign(secret, "usr_1", "acct_1", now)},
		{"wrong secret", settings("usr_1", "acct_1"), sign("absec_other", "usr_1", "acct_1", now)},
		{"stale", settings("usr_1", "acct_1"), sign(secret, "usr_1", "acct_1", now.Add(-6*time.Minute))},
		{"from the future", settings("usr_1", "acct_1"), sign(secret, "usr_1", "acct_1", now.Add(6*time.Minute))},
		{"missing header", settings("usr_1", "acct_1"), ""},
		{"swapped ids", settings("acct_1", "usr_1"), sign(secret, "usr_1", "acct_1", now)},
		{"garbage header", settings("usr_1", "acct_1"), "t=abc,v1=zz"},
		{"no v1 signature", settings("usr_1", "acct_1"), "t=" + "1700000000"},
		{"missing ids", `{"mode":"test","tenant_id":"` + tenantID + `","personal_token":"` + token + `"}`, sign(secret, "", "", now)},
		{"ids not strings", `{"user_id":1,"account_id":2,"mode":"test"}`, sign(secret, "1", "2", now)},
		{"signature over the whole body", settings("usr_1", "acct_1"), webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload: []byte(settings("usr_1", "acct_1")), Secret: secret, Timestamp: now}).Header},
	}
	for _, tc := range refused {
		for _, path := range endpoints {
			r := e.do("POST", path, tc.body, tc.signature)
			expectStatus(t, r, http.StatusUnauthorized)
			if msg := r.message(t); strings.Contains(msg, token) {
				t.Errorf("%s: message echoes the token: %s", tc.name, msg)
			}
		}
		if n := e.rows(); n != 0 {
			t.Fatalf("%s: refused request left %d connection rows", tc.name, n)
		}
	}

	// Keys in any order, unknown fields ignored: the payload is rebuilt.
	body := `{"personal_token":"` + token + `","mode":"test","extra":{"x":[1,2]},"account_id":"acct_1","tenant_id":"` +
		tenantID + `","user_id":"usr_1"}`
	r := e.do("POST", "/stripe-app/settings", body, sign(secret, "usr_1", "acct_1", now))
	expectStatus(t, r, http.StatusOK)
	if n := e.rows(); n != 1 {
		t.Fatalf("after a signed settings request: %d rows, want 1", n)
	}
}

func TestNoSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", &fakeChecker{})
	tenantID, token := e.tenant("Shop")
	for _, path := range endpoints {
		for _, sig := range []string{"", sign("", "usr_1", "acct_1", time.Now()), sign(secret, "usr_1", "acct_1", time.Now())} {
			r := e.do("POST", path, `{"user_id":"usr_1","account_id":"acct_1","mode":"test","tenant_id":"`+tenantID+
				`","personal_token":"`+token+`"}`, sig)
			expectStatus(t, r, http.StatusServiceUnavailable)
			if msg := r.message(t); !strings.Contains(msg, "STRIPE_APP_SECRET is not set") {
				t.Errorf("%s: message %q does not name STRIPE_APP_SECRET", path, msg)
			}
		}
		// The preflight still passes, so the UI can read the 503.
		r := e.do("OPTIONS", path, "", "")
		if r.status != http.StatusNoContent {
			t.Errorf("preflight %s: %d", path, r.status)
		}
	}
	if n := e.rows(); n != 0 {
		t.Fatalf("%d connection rows without a secret", n)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	tenantID, token := e.tenant("Shop")
	sig := sign(secret, "usr_1", "acct_1", time.Now())
	cases := []struct {
		name, path, body string
		want             int
	}{
		{"not JSON", "/stripe-app/status", `user_id=usr_1&account_id=acct_1`, 400},
		{"truncated JSON", "/stripe-app/status", `{"user_id":"usr_1","account_id":"acct_1"`, 400},
		{"empty body", "/stripe-app/status", ``, 400},
		{"array", "/stripe-app/status", `["usr_1","acct_1"]`, 400},
		{"too large", "/stripe-app/status", `{"user_id":"usr_1","account_id":"acct_1","pad":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
		{"mode missing", "/stripe-app/status", `{"user_id":"usr_1","account_id":"acct_1"}`, 400},
		{"mode unknown", "/stripe-app/status", `{"user_id":"usr_1","account_id":"acct_1","mode":"Live"}`, 400},
		{"mode not a string", "/stripe-app/check-now", `{"user_id":"usr_1","account_id":"acct_1","mode":true}`, 400},
		{"tenant_id missing", "/stripe-app/settings", `{"user_id":"usr_1","account_id":"acct_1","mode":"test","personal_token":"` + token + `"}`, 400},
		{"personal_token missing", "/stripe-app/settings", `{"user_id":"usr_1","account_id":"acct_1","mode":"test","tenant_id":"` + tenantID + `"}`, 400},
		{"tenant_id not a string", "/stripe-app/settings", `{"user_id":"usr_1","account_id":"acct_1","mode":"test","tenant_id":5,"personal_token":"` + token + `"}`, 400},
	}
	for _, tc := range cases {
		r := e.do("POST", tc.path, tc.body, sig)
		expectStatus(t, r, tc.want)
		r.message(t)
	}
	// An unsigned body with a bad mode is refused for its signature first.
	r := e.do("POST", "/stripe-app/status", `{"user_id":"usr_1","account_id":"acct_1","mode":"nope"}`, "")
	expectStatus(t, r, http.StatusUnauthorized)
	if n := e.rows(); n != 0 {
		t.Fatalf("bad input left %d connection rows", n)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	a, tokenA := e.tenant("Shop A")
	b, tokenB := e.tenant("Shop B")

	r := e.connect("acct_1", "test", a, tokenA)
	expectStatus(t, r, http.StatusOK)
	var s status
	decode(t, r, &s)
	if !s.Connected || s.TenantID == nil || *s.TenantID != a || s.TokenHint == nil || *s.TokenHint != ident.Hint(tokenA) ||
		s.LastCheck != nil || s.NextCheckAt == nil || s.ParkedEvents == nil || *s.ParkedEvents != 0 {
		t.Fatalf("status after settings: %s", r.body)
	}
	if _, err := time.Parse(time.RFC3339, *s.NextCheckAt); err != nil || !strings.HasSuffix(*s.NextCheckAt, "Z") {
		t.Errorf("next_check_at %q is not RFC 3339 UTC", *s.NextCheckAt)
	}
	conn, err := e.st.Connection(context.Background(), "acct_1", false)
	if err != nil || conn.TenantID != a || conn.UserID != "usr_1" || conn.Livemode || !conn.Active {
		t.Fatalf("stored connection %+v, %v", conn, err)
	}

	// A revoked token of the right tenant.
	revoked, err := e.accounts.CreateToken(context.Background(), a, "Old")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := e.st.PersonalTokens(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if tk.Name == "Old" {
			if err := e.st.RevokePersonalToken(context.Background(), a, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	refused := []struct{ name, tenant, token string }{
		{"revoked token", a, revoked},
		{"another tenant's token", a, tokenB},
		{"unknown tenant", "tn_nosuchtenant000", tokenA},
		{"not a token", a, "hunter2"},
		{"token-shaped, unknown", a, ident.Token()},
	}
	for _, tc := range refused {
		r := e.post("/stripe-app/settings", "acct_9", "test", "tenant_id", tc.tenant, "personal_token", tc.token)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		msg := r.message(t)
		if !strings.Contains(msg, "not a valid token of tenant") || strings.Contains(msg, tc.token) {
			t.Errorf("%s: message %q", tc.name, msg)
		}
	}
	if _, err := e.st.Connection(context.Background(), "acct_9", false); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("a refused token connected acct_9: %v", err)
	}

	// Another tenant cannot take an account+mode that is held.
	r = e.post("/stripe-app/settings", "acct_1", "test", "tenant_id", b, "personal_token", tokenB)
	expectStatus(t, r, http.StatusConflict)
	r.message(t)
	if conn, _ := e.st.Connection(context.Background(), "acct_1", false); conn.TenantID != a {
		t.Fatalf("conflict changed the holder to %s", conn.TenantID)
	}
	// The same account in the other mode is free.
	r = e.connect("acct_1", "live", b, tokenB)
	decode(t, r, &s)
	if !s.Connected || *s.TenantID != b {
		t.Fatalf("live mode status: %s", r.body)
	}
	// Saving again (the same tenant) is fine.
	e.connect("acct_1", "test", a, tokenA)
}

func TestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	a, tokenA := e.tenant("Shop")

	r := e.post("/stripe-app/status", "acct_1", "test")
	expectStatus(t, r, http.StatusOK)
	expectDisconnected(t, r)

	e.connect("acct_1", "test", a, tokenA)
	r = e.post("/stripe-app/status", "acct_1", "test")
	expectStatus(t, r, http.StatusOK)
	f := r.fields(t)
	if string(f["connected"]) != "true" || string(f["last_check"]) != "null" {
		t.Fatalf("connected, never checked: %s", r.body)
	}
	// The other mode is not connected.
	expectDisconnected(t, e.post("/stripe-app/status", "acct_1", "live"))

	conn, err := e.st.Connection(context.Background(), "acct_1", false)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := e.st.StartCheck(context.Background(), conn.ID, started); err != nil {
		t.Fatal(err)
	}
	var s status
	decode(t, e.post("/stripe-app/status", "acct_1", "test"), &s)
	lc := s.LastCheck
	if lc == nil || lc.StartedAt == nil || *lc.StartedAt != "2026-03-01T11:00:00Z" || lc.FinishedAt != nil || lc.Error != nil {
		t.Fatalf("running check: %+v", lc)
	}
	finished := started.Add(3 * time.Second)
	next := finished.Add(time.Hour)
	if err := e.st.FinishCheck(context.Background(), conn.ID, tracklane.CheckResult{StartedAt: started, FinishedAt: &finished,
		EventsSeen: 7, ConversionsCreated: 2, ConversionsUpdated: 1, Error: "Stripe refused the key"}, next); err != nil {
		t.Fatal(err)
	}
	r = e.post("/stripe-app/status", "acct_1", "test")
	decode(t, r, &s)
	lc = s.LastCheck
	if lc == nil || lc.FinishedAt == nil || *lc.FinishedAt != "2026-03-01T11:00:03Z" || lc.EventsSeen != 7 ||
		lc.ConversionsCreated != 2 || lc.ConversionsUpdated != 1 || lc.Error == nil || *lc.Error != "Stripe refused the key" ||
		s.NextCheckAt == nil || *s.NextCheckAt != "2026-03-01T12:00:03Z" {
		t.Fatalf("finished check: %s", r.body)
	}
	// A successful check: error is null, all keys present.
	if err := e.st.FinishCheck(context.Background(), conn.ID, tracklane.CheckResult{StartedAt: started, FinishedAt: &finished}, next); err != nil {
		t.Fatal(err)
	}
	r = e.post("/stripe-app/status", "acct_1", "test")
	var lcRaw map[string]json.RawMessage
	if err := json.Unmarshal(r.fields(t)["last_check"], &lcRaw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"started_at", "finished_at", "events_seen", "conversions_created", "conversions_updated", "error"} {
		if _, ok := lcRaw[k]; !ok {
			t.Errorf("last_check lacks %q: %s", k, r.body)
		}
	}
	if string(lcRaw["error"]) != "null" || string(lcRaw["events_seen"]) != "0" {
		t.Errorf("successful check: %s", r.body)
	}
}

func TestCheckNow(t *testing.T) {
	t.Parallel()
	fc := &fakeChecker{}
	e := newEnv(t, secret, fc)
	a, tokenA := e.tenant("Shop")

	r := e.post("/stripe-app/check-now", "acct_1", "test")
	expectStatus(t, r, http.StatusConflict)
	if msg := r.message(t); !strings.Contains(msg, "not connected") {
		t.Errorf("message %q", msg)
	}
	if len(fc.Calls()) != 0 {
		t.Fatal("checker called for an account that is not connected")
	}

	e.connect("acct_1", "test", a, tokenA)
	finished := time.Date(2026, 3, 1, 12, 0, 5, 0, time.FixedZone("CET", 3600))
	fc.set(tracklane.CheckResult{StartedAt: finished.Add(-time.Second), FinishedAt: &finished, EventsSeen: 12,
		ConversionsCreated: 3, ConversionsUpdated: 4}, nil)
	r = e.post("/stripe-app/check-now", "acct_1", "test")
	expectStatus(t, r, http.StatusOK)
	if got, want := string(r.body), `{"events_seen":12,"conversions_created":3,"conversions_updated":4,"finished_at":"2026-03-01T11:00:05Z"}`; got != want {
		t.Errorf("answer %s, want %s", got, want)
	}
	calls := fc.Calls()
	if len(calls) != 1 || calls[0].TenantID != a || calls[0].AccountID != "acct_1" || calls[0].Livemode || calls[0].ID == 0 {
		t.Fatalf("checker calls %+v", calls)
	}

	fc.set(tracklane.CheckResult{}, apperr.Errorf(apperr.BadGateway, "Stripe refused the platform key: Invalid API Key provided"))
	r = e.post("/stripe-app/check-now", "acct_1", "test")
	expectStatus(t, r, http.StatusBadGateway)
	if msg := r.message(t); msg != "Stripe refused the platform key: Invalid API Key provided" {
		t.Errorf("502 message %q", msg)
	}

	fc.set(tracklane.CheckResult{}, apperr.Errorf(apperr.Unavailable, "the server has no Stripe platform key for this mode"))
	expectStatus(t, e.post("/stripe-app/check-now", "acct_1", "test"), http.StatusServiceUnavailable)

	fc.set(tracklane.CheckResult{}, errors.New("connection reset by peer"))
	r = e.post("/stripe-app/check-now", "acct_1", "test")
	expectStatus(t, r, http.StatusInternalServerError)
	if msg := r.message(t); strings.Contains(msg, "reset") {
		t.Errorf("internal error leaked: %q", msg)
	}

	// A disconnected account is not checked.
	expectStatus(t, e.post("/stripe-app/disconnect", "acct_1", "test"), http.StatusOK)
	n := len(fc.Calls())
	expectStatus(t, e.post("/stripe-app/check-now", "acct_1", "test"), http.StatusConflict)
	if len(fc.Calls()) != n {
		t.Fatal("checker called after disconnect")
	}
}

func TestCheckNowWithoutChecker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, nil)
	a, tokenA := e.tenant("Shop")
	e.connect("acct_1", "live", a, tokenA)
	r := e.post("/stripe-app/check-now", "acct_1", "live")
	expectStatus(t, r, http.StatusServiceUnavailable)
	r.message(t)
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	a, tokenA := e.tenant("Shop A")
	b, tokenB := e.tenant("Shop B")

	// Nothing connected: still 200.
	r := e.post("/stripe-app/disconnect", "acct_1", "test")
	expectStatus(t, r, http.StatusOK)
	expectDisconnected(t, r)

	e.connect("acct_1", "test", a, tokenA)
	e.connect("acct_1", "live", a, tokenA)
	r = e.post("/stripe-app/disconnect", "acct_1", "test")
	expectStatus(t, r, http.StatusOK)
	expectDisconnected(t, r)
	expectDisconnected(t, e.post("/stripe-app/status", "acct_1", "test"))
	if conn, err := e.st.Connection(context.Background(), "acct_1", false); err != nil || conn.Active {
		t.Fatalf("test mode after disconnect: %+v %v", conn, err)
	}
	// The other mode stays connected.
	var s status
	decode(t, e.post("/stripe-app/status", "acct_1", "live"), &s)
	if !s.Connected {
		t.Fatal("disconnecting test mode disconnected live mode")
	}
	// Again: idempotent.
	expectDisconnected(t, e.post("/stripe-app/disconnect", "acct_1", "test"))
	// Now another tenant may take it.
	decode(t, e.connect("acct_1", "test", b, tokenB), &s)
	if *s.TenantID != b {
		t.Fatalf("takeover: %+v", s)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, secret, &fakeChecker{})
	for _, path := range endpoints {
		req, _ := http.NewRequest("OPTIONS", e.url+path, nil)
		req.Header.Set("Origin", "null")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,stripe-signature")
		r := e.send(req)
		if r.status != http.StatusNoContent {
			t.Fatalf("preflight %s: %d %s", path, r.status, r.body)
		}
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":  "*",
			"Access-Control-Allow-Methods": "POST, OPTIONS",
			"Access-Control-Allow-Headers": "Content-Type, Stripe-Signature",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("preflight %s: %s = %q, want %q", path, k, got, want)
			}
		}
		expectStatus(t, e.do("POST", path, `{"user_id":"usr_1","account_id":"acct_1","mode":"test"}`, ""), http.StatusUnauthorized)
		expectStatus(t, e.do("POST", path, `nope`, ""), http.StatusBadRequest)
	}
	expectStatus(t, e.post("/stripe-app/status", "acct_1", "test"), http.StatusOK)
}

// status is the status answer as the UI reads it.
type status struct {
	Connected bool    `json:"connected"`
	TenantID  *string `json:"tenant_id"`
	TokenHint *string `json:"token_hint"`
	LastCheck *struct {
		StartedAt          *string `json:"started_at"`
		FinishedAt         *string `json:"finished_at"`
		EventsSeen         int     `json:"events_seen"`
		ConversionsCreated int     `json:"conversions_created"`
		ConversionsUpdated int     `json:"conversions_updated"`
		Error              *string `json:"error"`
	} `json:"last_check"`
	NextCheckAt  *string `json:"next_check_at"`
	ParkedEvents *int    `json:"parked_events"`
}

func decode(t *testing.T, r response, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// expectDisconnected checks the not-connected shape: every key present,
// all but connected null.
func expectDisconnected(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got, want := string(r.body), `{"connected":false,"tenant_id":null,"token_hint":null,"last_check":null,"next_check_at":null,"parked_events":null}`; got != want {
		t.Fatalf("not connected: %s, want %s", got, want)
	}
}
