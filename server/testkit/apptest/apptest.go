// Package apptest runs the whole Tracklane application for tests: a fresh
// database, the real wiring (cli.NewServer) behind an httptest server, and
// helpers that provision tenants and affiliates the way a merchant would.
//
// It is test support only (see package testkit).
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// App is a running application.
type App struct {
	URL      string // the httptest server's base URL (also PUBLIC_URL)
	Store    *store.Store
	DSN      string
	Config   config.Config
	Accounts account.Service
	Server   *httptest.Server
	Engine   *stripesync.Engine
	// Handler is the wired application (a *gin.Engine): tests that visit
	// every route read its route list.
	Handler http.Handler
	Metrics http.Handler // the METRICS_ADDR handler; nil unless env sets METRICS_ADDR
	// Mail is the outbox's sender as serve wires it (SMTP when env sets
	// SMTP_URL); it runs only after RunMail.
	Mail *mail.Sender
}

// RunMail runs the mail sender until the test ends, as serve does.
func (a *App) RunMail(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Mail.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// New starts the application. env overrides configuration variables
// (e.g. "TRACKING_RATE_LIMIT": "0"); PUBLIC_URL is the test server's URL.
func New(t testing.TB, env map[string]string) *App {
	t.Helper()
	st, dsn := storetest.New(t)
	a := &App{Store: st, DSN: dsn, Accounts: account.Service{Store: st, BcryptCost: 4}}
	// The listener's URL must be known before wiring (PUBLIC_URL), so the
	// handler is swapped in after the server starts.
	var h http.Handler = http.NotFoundHandler()
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(a.Server.Close)
	a.URL = a.Server.URL
	vars := map[string]string{
		"DATABASE_URL": dsn, "PUBLIC_URL": a.URL, "SECRET_KEY": "test-secret-key-0123456789",
		"TRACKING_RATE_LIMIT": "0",
		// Tests sign up many tenants on one instance; SIGNUP's own tests
		// set the product's default (first) or closed explicitly.
		"SIGNUP": "open",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, t.TempDir(), storetest.Logger(t))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a.Config = cfg
	a.Accounts.PublicURL = cfg.PublicURL
	srv, err := cli.NewServer(cfg, st, storetest.Logger(t))
	if err != nil {
		t.Fatalf("wiring server: %v", err)
	}
	t.Cleanup(srv.Close)
	a.Engine = srv.Engine
	a.Mail = srv.Mail
	a.Handler = srv.Handler
	a.Metrics = srv.Metrics
	h = srv.Handler
	return a
}

// Tenant is a provisioned tenant with its one-time secrets.
type Tenant struct {
	ID, Token, OriginID, Email string
}

// NewTenant signs up a tenant with website https://shop.example.
func (a *App) NewTenant(t testing.TB, name string) Tenant {
	t.Helper()
	r, err := a.Accounts.CreateTenant(context.Background(), account.NewTenantInput{
		Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", "")) + "-" + time.Now().Format("150405.000000000") + "@merchant.example",
		Password: "correct horse battery", Website: "https://shop.example",
	})
	if err != nil {
		t.Fatalf("creating tenant: %v", err)
	}
	return Tenant{ID: r.Tenant.ID, Token: r.PersonalToken, OriginID: r.RevenueOriginID, Email: r.Email}
}

// NewAffiliate creates an affiliate with the given code.
func (a *App) NewAffiliate(t testing.TB, tenantID, code string) tracklane.Affiliate {
	t.Helper()
	af, err := a.Accounts.CreateAffiliate(context.Background(), tenantID, account.AffiliateInput{
		Name: "Affiliate " + code, Email: code + "@partners.example", Code: code,
	})
	if err != nil {
		t.Fatalf("creating affiliate: %v", err)
	}
	return af
}

// Do sends a request with an optional JSON body and headers ("K: v")
// and returns the status and body.
func (a *App) Do(t testing.TB, method, path string, body any, headers ...string) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.URL+path, r)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) apptest")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp.StatusCode, data
}

// Decode unmarshals JSON into a fresh T or fails the test.
func Decode[T any](t testing.TB, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

// QueryInt runs a counting query against the app's database, for tests
// that check what was (not) written.
func (a *App) QueryInt(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.Store.DB().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
