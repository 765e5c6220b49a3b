package stripeapp_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/tracklane"
)

// recorded is one request the UI's jest contract test recorded.
type recorded struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// TestContract replays the exact requests the Stripe App UI sends
// (stripe-app/contract/requests.json, written by its jest test), signed the
// way Stripe signs them, and expects each to succeed.
func TestContract(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "stripe-app", "contract", "requests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reqs []recorded
	if err := json.Unmarshal(data, &reqs); err != nil {
		t.Fatalf("requests.json: %v", err)
	}
	var names []string
	for _, r := range reqs {
		names = append(names, r.Name)
	}
	const want = "settings,status,status-live,check-now,disconnect"
	if got := strings.Join(names, ","); got != want {
		t.Fatalf("recorded requests %s, want %s", got, want)
	}

	fc := &fakeChecker{}
	finished := time.Now().UTC()
	fc.set(tracklane.CheckResult{StartedAt: finished, FinishedAt: &finished, EventsSeen: 1}, nil)
	e := newEnv(t, secret, fc)
	tenantID, token := e.tenant("Contract Shop")

	for _, rec := range reqs {
		body := strings.ReplaceAll(rec.Body, "tn_contract", tenantID)
		body = strings.ReplaceAll(body, "tl_pt_contract", token)
		sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload:   []byte(`{"user_id":"usr_contract","account_id":"acct_contract"}`),
			Secret:    secret,
			Timestamp: time.Now(),
		}).Header
		req, err := http.NewRequest(rec.Method, e.url+rec.Path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range rec.Headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("Stripe-Signature", sig)
		r := e.send(req)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", rec.Name, r.status, r.body)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS header", rec.Name)
		}
		var s status
		switch rec.Name {
		case "settings", "status":
			decode(t, r, &s)
			if !s.Connected || s.TenantID == nil || *s.TenantID != tenantID {
				t.Fatalf("%s: %s", rec.Name, r.body)
			}
		case "status-live":
			// The test-mode page reads the live connection too: there is none.
			decode(t, r, &s)
			if s.Connected || s.TenantID != nil {
				t.Fatalf("status-live: %s", r.body)
			}
		case "check-now":
			if calls := fc.Calls(); len(calls) != 1 || calls[0].AccountID != "acct_contract" || calls[0].Livemode {
				t.Fatalf("check-now: checker calls %+v", calls)
			}
		case "disconnect":
			expectDisconnected(t, r)
		}
	}
}
