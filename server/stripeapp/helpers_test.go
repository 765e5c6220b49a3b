package stripeapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/stripeapp"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

const secret = "absec_test_0123456789abcdef"

// fakeChecker records CheckNow calls and answers a configured result.
type fakeChecker struct {
	mu     sync.Mutex
	calls  []tracklane.StripeConnection
	result tracklane.CheckResult
	err    error
}

func (f *fakeChecker) CheckNow(_ context.Context, conn tracklane.StripeConnection) (tracklane.CheckResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, conn)
	return f.result, f.err
}

func (f *fakeChecker) set(r tracklane.CheckResult, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.result, f.err = r, err
}

func (f *fakeChecker) Calls() []tracklane.StripeConnection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tracklane.StripeConnection(nil), f.calls...)
}

// env is the handler on a gin engine behind a real HTTP server, with a
// fresh database.
type env struct {
	t        *testing.T
	st       *store.Store
	url      string
	accounts account.Service
}

func newEnv(t *testing.T, secret string, checker stripeapp.Checker) *env {
	t.Helper()
	st, _ := storetest.New(t)
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.ContextWithFallback = true
	stripeapp.New(st, account.Service{Store: st}, checker, secret, storetest.Logger(t), time.Now).Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{t: t, st: st, url: srv.URL, accounts: account.Service{Store: st, BcryptCost: 4}}
}

var tenantSeq struct {
	sync.Mutex
	n int
}

// tenant signs up a tenant and returns its id and first personal token.
func (e *env) tenant(name string) (id, token string) {
	e.t.Helper()
	tenantSeq.Lock()
	tenantSeq.n++
	n := tenantSeq.n
	tenantSeq.Unlock()
	r, err := e.accounts.CreateTenant(context.Background(), account.NewTenantInput{
		Name: name, Email: fmt.Sprintf("owner%d@merchant.example", n), Password: "correct horse battery",
	})
	if err != nil {
		e.t.Fatalf("creating tenant: %v", err)
	}
	return r.Tenant.ID, r.PersonalToken
}

// sign returns a Stripe-Signature header over {"user_id":…,"account_id":…}.
func sign(secret, userID, accountID string, at time.Time) string {
	payload := fmt.Sprintf(`{"user_id":%q,"account_id":%q}`, userID, accountID)
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: []byte(payload), Secret: secret, Timestamp: at,
	}).Header
}

// response is an answer as the test reads it.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a fresh map of raw values.
func (r response) fields(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

// message returns the error message of an error answer.
func (r response) message(t *testing.T) string {
	t.Helper()
	var b struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error.Message == "" {
		t.Fatalf("answer %d is not an error body: %s", r.status, r.body)
	}
	return b.Error.Message
}

// do sends a request; header "" sends no Stripe-Signature.
func (e *env) do(method, path, body, signature string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// post sends a correctly signed request for user usr_1 on the given account.
func (e *env) post(path, accountID, mode string, extra ...string) response {
	e.t.Helper()
	body := fmt.Sprintf(`{"user_id":"usr_1","account_id":%q,"mode":%q`, accountID, mode)
	for i := 0; i+1 < len(extra); i += 2 {
		body += fmt.Sprintf(`,%q:%q`, extra[i], extra[i+1])
	}
	return e.do("POST", path, body+"}", sign(secret, "usr_1", accountID, time.Now()))
}

// connect saves settings and fails the test unless they are accepted.
func (e *env) connect(accountID, mode, tenantID, token string) response {
	e.t.Helper()
	r := e.post("/stripe-app/settings", accountID, mode, "tenant_id", tenantID, "personal_token", token)
	if r.status != http.StatusOK {
		e.t.Fatalf("settings: %d %s", r.status, r.body)
	}
	return r
}

// rows counts stripe_connections rows (active or not).
func (e *env) rows() int {
	e.t.Helper()
	var n int
	if err := e.st.DB().QueryRow(`SELECT count(*) FROM stripe_connections`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q on a %d answer, want *", got, r.status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
}
