// Package fakestripe is a stateful, in-process fake of the Stripe API for
// Tracklane's tests and benchmarks.
//
// It serves (over an httptest.Server) exactly the read-only routes the Stripe
// sync engine may call — GET /v1/account (the platform's own account),
// GET /v1/events, GET /v1/events/{id}, GET of single
// customers, invoices (also with expand[]=discounts), charges, refunds,
// subscriptions, payment intents, disputes, checkout sessions, coupons,
// promotion codes and credit notes (also with expand[]=refund), and the GET
// /v1/invoices, GET /v1/charges and GET /v1/checkout/sessions lists — and
// keeps state per connected account (the Stripe-Account header; none is the
// platform's own account, whose events carry no "account": see
// SetPlatformAccount) and per mode (a sk_live_ key sees live objects, a
// sk_test_ key test ones).
//
// Tests play whole stories with the builders (CreateCustomer, PayInvoice,
// Refund, CancelSubscription, CreateDispute, CreateCoupon,
// CreatePromotionCode, CheckoutPayment, CheckoutSubscription, SetMetadata,
// AuthorizeCharge, CaptureCharge, ReleaseAuthorization, FailRefund,
// CancelRefund, CreateCreditNote, VoidCreditNote, …). Each builder changes the
// objects and appends the events Stripe would emit; every event's
// data.object is a snapshot rendered once, at creation, in the account's
// Shape (the 2023-10-16 API that stripe-go v76 models, or the current API
// and charges no longer name their invoice, and invoice_payment.paid says
// which payment intent paid an invoice). Objects fetched by GET are
// rendered from their current state in the account's current Shape.
//
// The fake records every call (Calls, CallCount, Unexpected), can refuse
// revoked keys (401), uninstalled accounts and sandboxes served by another
// key (403) and lookups a key may not make (RefuseLookups: 403, or 400 for
// an expansion), forgets events older than
// a given time (Stripe keeps 30 days), and can inject faults (429, 5xx,
// truncated bodies, delays). It is safe for concurrent use and fast enough to
// page through tens of thousands of events.
//
// Builders panic on misuse (unknown ids, over-refunds): they are test helpers
// and a panic points at the broken test line.
//
// It is test support only (see package testkit); the sync benchmark in bench/
// and the standalone server in server/cmd/fakestripe use it too.
package fakestripe

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Shape selects how the objects and events of an account are rendered: which
// Stripe API version the account is pinned to.
type Shape int

const (
	// Shape2023 is API version 2023-10-16, the one stripe-go v76 models:
	// invoices carry charge, subscription, payment_intent, tax,
	// total_tax_amounts and paid; charges carry invoice.
	Shape2023 Shape = iota
	// ShapeNew is the current API (2025-09-30.clover): invoices name their
	// subscription under parent.subscription_details.subscription (parent is
	// null without a subscription), taxes are in total_taxes[], and there is
	// no invoice.subscription, invoice.charge, invoice.payment_intent,
	// invoice.tax, invoice.total_tax_amounts nor invoice.paid; charges and
	// payment intents have no invoice field.
	ShapeNew
)

// APIVersion returns the api_version string events of this shape carry.
func (sh Shape) APIVersion() string {
	if sh == ShapeNew {
		return "2025-09-30.clover"
	}
	return "2023-10-16"
}

// String returns the API version of the shape.
func (sh Shape) String() string { return sh.APIVersion() }

// Call is one HTTP request the fake received.
type Call struct {
	Method   string
	Path     string // URL path, e.g. "/v1/events"
	RawQuery string // undecoded query string
	Account  string // Stripe-Account header ("" for the platform itself)
	Key      string // API key from the Authorization header ("" if none)
	Status   int    // HTTP status the fake answered (0 if the client went away during a Delay fault)
}

// Fault is a failure the fake injects into matching requests; see
// Server.InjectFault.
type Fault struct {
	// Method to match ("" matches any method).
	Method string
	// PathPrefix to match against the URL path ("" matches any path), e.g.
	// "/v1/events" (which also matches "/v1/events/evt_…").
	PathPrefix string
	// Count is how many matching calls fail (values < 1 mean 1). The fault
	// is consumed as it fires.
	Count int
	// Status to answer instead of the real response, e.g. 429 (with a
	// Stripe rate-limit error body, no Retry-After) or 500/502/503 (with a
	// Stripe api_error body). 0 means no status fault.
	Status int
	// Truncate answers 200 with the real response's JSON cut in half.
	Truncate bool
	// Delay sleeps this long before answering (for client timeouts); if
	// neither Status nor Truncate is set, the real answer follows the delay.
	Delay time.Duration
	// AfterCalls skips this many matching calls before the fault starts
	// firing.
	AfterCalls int
}

type fault struct {
	Fault
	skip, left int
}

// Server is the fake Stripe API. Create it with New and Close it when done.
type Server struct {
	ts *httptest.Server

	mu         sync.Mutex
	rng        *rand.Rand
	seq        uint64
	keys       map[string]bool // key -> revoked
	revokedAcc map[string]bool
	platform   string          // the keys' own account ("": DefaultPlatformAccount); see account.go
	sandboxes  map[string]bool // accounts served by a managed sandbox's keys
	shapes     map[string]Shape
	parts      map[partKey]*partition
	used       map[string]struct{}
	calls      []Call
	callGen    int // bumped by ResetCalls
	unexpected []Call
	faults     []*fault
	refusals   []Refusal // refuse.go
}

// New starts a fake Stripe API on a loopback httptest server.
func New() *Server {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		binary.LittleEndian.PutUint64(seed[:], uint64(time.Now().UnixNano()))
	}
	s := &Server{
		rng:        rand.New(rand.NewChaCha8(seed)),
		keys:       map[string]bool{},
		revokedAcc: map[string]bool{},
		shapes:     map[string]Shape{},
		parts:      map[partKey]*partition{},
		used:       map[string]struct{}{},
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// URL is the base URL to use as STRIPE_API_BASE (stripe-go's BackendConfig.URL);
// it has no trailing "/v1".
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the HTTP server down.
func (s *Server) Close() { s.ts.Close() }

// AddKey accepts a platform secret key (sk_test_…/sk_live_…; restricted
// rk_test_…/rk_live_… keys work too). Requests with it see the live objects
// when it starts with sk_live_/rk_live_, the test objects otherwise. Adding a
// revoked key again un-revokes it.
func (s *Server) AddKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = false
}

// RevokeKey makes later calls with key fail with 401 (api_key_expired), as
// Stripe answers a rolled or deleted key.
func (s *Server) RevokeKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = true
}

// RevokeAccount simulates the app being uninstalled from account: later calls
// with that Stripe-Account header fail with 403 (account_invalid, "…does not
// have access to account…").
func (s *Server) RevokeAccount(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedAcc[account] = true
}

// RestoreAccount undoes RevokeAccount (the app was installed again).
func (s *Server) RestoreAccount(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.revokedAcc, account)
}

// SetShape sets how objects and events of account are rendered from now on
// (default Shape2023). Events already created keep the shape they were
// rendered in, as Stripe's do.
func (s *Server) SetShape(account string, sh Shape) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shapes[account] = sh
}

// InjectFault queues a fault; it fires on matching requests (after
// AfterCalls matching requests have passed) until its Count is used up.
// Faults are checked in the order they were injected; a matching fault still
// skipping (AfterCalls) counts the request and lets later faults see it; one
// request triggers at most one fault.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := f.Count
	if left < 1 {
		left = 1
	}
	s.faults = append(s.faults, &fault{Fault: f, skip: f.AfterCalls, left: left})
}

// ClearFaults drops every fault not yet fired.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Calls returns every request received since New or the last ResetCalls, in
// arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount returns how many requests were received since New or the last
// ResetCalls.
func (s *Server) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// ResetCalls forgets the recorded calls (Calls, CallCount and Unexpected).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.callGen++
	s.unexpected = nil
}

// Unexpected returns the requests Tracklane must not make: routes outside
// the allowed list, methods other than GET, and unknown query parameters
// (including every expand but expand[]=discounts on GET /v1/invoices/{id}).
func (s *Server) Unexpected() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.unexpected...)
}

// ---------------------------------------------------------------------------
// HTTP

type response struct {
	status int
	body   []byte
	shape  Shape
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	call := Call{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Account:  strings.TrimSpace(r.Header.Get("Stripe-Account")),
		Key:      requestKey(r),
	}

	s.mu.Lock()
	idx, gen := len(s.calls), s.callGen
	s.calls = append(s.calls, call)
	f := s.takeFault(r.Method, r.URL.Path)
	refused := s.refusal(r.URL.Path)
	reqID := s.randID("req_", 14)
	s.mu.Unlock()

	setStatus := func(st int) {
		s.mu.Lock()
		if gen == s.callGen && idx < len(s.calls) {
			s.calls[idx].Status = st
		}
		s.mu.Unlock()
	}

	if f != nil && f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	var resp response
	switch {
	case f != nil && f.Status != 0:
		resp = faultResponse(f.Status)
	case refused != nil:
		resp = refused.response()
	default:
		resp = s.serve(r.Context(), r, call)
		if f != nil && f.Truncate {
			resp.status = http.StatusOK
			resp.body = resp.body[:len(resp.body)/2]
		}
	}

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", reqID)
	h.Set("Stripe-Version", resp.shape.APIVersion())
	if call.Account != "" {
		h.Set("Stripe-Account", call.Account)
	}
	setStatus(resp.status)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func requestKey(r *http.Request) string {
	a := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return ""
}

// takeFault returns the fault to apply to this request, consuming it. Must be
// called with s.mu held.
func (s *Server) takeFault(method, path string) *fault {
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.PathPrefix != "" && !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		if f.skip > 0 {
			f.skip--
			continue
		}
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func faultResponse(status int) response {
	switch {
	case status == http.StatusTooManyRequests:
		return errResp(status, "invalid_request_error", "rate_limit", "",
			"Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.")
	case status >= 500:
		return errResp(status, "api_error", "", "",
			"An unknown error occurred while processing your request (injected by fakestripe).")
	default:
		return errResp(status, "invalid_request_error", "", "",
			fmt.Sprintf("Injected fault with status %d.", status))
	}
}

type apiError struct {
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
	DocURL  string `json:"doc_url,omitempty"`
}

func errResp(status int, typ, code, param, msg string) response {
	e := apiError{Type: typ, Code: code, Param: param, Message: msg}
	if code != "" {
		e.DocURL = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	b, _ := json.Marshal(map[string]apiError{"error": e})
	return response{status: status, body: b}
}

func okResp(body []byte, sh Shape) response {
	return response{status: http.StatusOK, body: body, shape: sh}
}

func maskKey(k string) string {
	i := strings.LastIndex(k, "_")
	if i < 0 || len(k) < 4 {
		return "****"
	}
	last := k[len(k)-4:]
	return k[:i+1] + "****" + last
}

func keyLive(k string) bool {
	return strings.HasPrefix(k, "sk_live_") || strings.HasPrefix(k, "rk_live_")
}

// objectRoutes maps the URL collection name to the object type it serves.
var objectRoutes = map[string]string{
	"customers":       "customer",
	"invoices":        "invoice",
	"charges":         "charge",
	"refunds":         "refund",
	"subscriptions":   "subscription",
	"payment_intents": "payment_intent",
	"disputes":        "dispute",
	"coupons":         "coupon",
	"promotion_codes": "promotion_code",
	"credit_notes":    "credit_note",
}

type route struct {
	kind string // "events", "event", "object", "list"
	typ  string // object type for "object"/"list"
	id   string
}

func parseRoute(path string) (route, bool) {
	p := strings.TrimPrefix(path, "/v1/")
	if p == path {
		return route{}, false
	}
	parts := strings.Split(p, "/")
	switch len(parts) {
	case 1:
		switch parts[0] {
		case "account":
			return route{kind: "account"}, true
		case "events":
			return route{kind: "events"}, true
		case "invoices":
			return route{kind: "list", typ: "invoice"}, true
		case "charges":
			return route{kind: "list", typ: "charge"}, true
		}
	case 2:
		if parts[1] == "" {
			return route{}, false
		}
		if parts[0] == "events" {
			return route{kind: "event", id: parts[1]}, true
		}
		if parts[0] == "checkout" && parts[1] == "sessions" {
			return route{kind: "list", typ: "checkout.session"}, true
		}
		if t, ok := objectRoutes[parts[0]]; ok {
			return route{kind: "object", typ: t, id: parts[1]}, true
		}
	case 3:
		if parts[0] == "checkout" && parts[1] == "sessions" && parts[2] != "" {
			return route{kind: "object", typ: "checkout.session", id: parts[2]}, true
		}
	}
	return route{}, false
}

func (s *Server) serve(_ context.Context, r *http.Request, call Call) response {
	if r.Method != http.MethodGet {
		return s.unexpectedResp(call, errResp(http.StatusMethodNotAllowed, "invalid_request_error", "", "",
			fmt.Sprintf("Unrecognized request URL (%s: %s). fakestripe only allows GET: Tracklane must not write to Stripe.", r.Method, r.URL.Path)), false)
	}

	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		return s.unexpectedResp(call, errResp(http.StatusNotFound, "invalid_request_error", "", "",
			fmt.Sprintf("Unrecognized request URL (%s: %s). fakestripe only serves the routes Tracklane may call.", r.Method, r.URL.Path)), false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	key := call.Key
	if key == "" {
		return errResp(http.StatusUnauthorized, "invalid_request_error", "", "",
			"You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.")
	}
	revoked, known := s.keys[key]
	if !known {
		return errResp(http.StatusUnauthorized, "invalid_request_error", "", "",
			"Invalid API Key provided: "+maskKey(key))
	}
	if revoked {
		return errResp(http.StatusUnauthorized, "invalid_request_error", "api_key_expired", "",
			"Expired API Key provided: "+maskKey(key))
	}
	// Without Stripe-Account: the platform's own account (account.go).
	account, refused := s.servedAccount(call, key)
	if refused != nil {
		return *refused
	}

	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return errResp(http.StatusBadRequest, "invalid_request_error", "parameter_invalid", "", err.Error())
	}
	// Objects answer in the API version the request names, as Stripe's do
	// (stripe-go v76 sends 2023-10-16); events keep the account's version.
	sh := s.shapes[account]
	if r.Header.Get("Stripe-Version") == Shape2023.APIVersion() {
		sh = Shape2023
	}
	live := keyLive(key)
	p := s.parts[partKey{account, live}]

	var resp response
	switch rt.kind {
	case "account":
		return s.getAccount(call, q)
	case "events":
		resp = s.listEvents(p, q, call)
		sh = s.shapes[account]
	case "event":
		resp = s.getEvent(p, rt.id, live, call)
		sh = s.shapes[account]
	case "object":
		resp = s.getObject(p, rt.typ, rt.id, live, q, call, sh)
	case "list":
		resp = s.listObjects(p, rt.typ, q, call, sh)
	}
	if resp.status == http.StatusOK {
		resp.shape = sh
	}
	return resp
}

// unexpectedResp records c as unexpected and returns resp; s.mu must be held
// when locked is true.
func (s *Server) unexpectedResp(c Call, resp response, locked bool) response {
	c.Status = resp.status
	if !locked {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	s.unexpected = append(s.unexpected, c)
	return resp
}

// writeList renders a Stripe list object from already-rendered items.
func writeList(url string, items [][]byte, hasMore bool) []byte {
	n := 64 + len(url)
	for _, it := range items {
		n += len(it) + 1
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"object":"list","data":[`)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteString(`],"has_more":`)
	if hasMore {
		b.WriteString("true")
	} else {
		b.WriteString("false")
	}
	b.WriteString(`,"url":`)
	u, _ := json.Marshal(url)
	b.Write(u)
	b.WriteByte('}')
	return b.Bytes()
}
