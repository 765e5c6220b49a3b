package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// The demo's fake Stripe must not take stripe-mock's port (12111), which the
// tests' stripe-mock listens on.
func TestDefaultAddrIsNotStripeMocks(t *testing.T) {
	if strings.HasSuffix(defaultAddr, ":12111") || strings.HasSuffix(defaultAddr, ":12112") {
		t.Fatalf("default address %s is stripe-mock's", defaultAddr)
	}
}

// The banner comes only once the address listens: a script that waits for
// it can call the fake Stripe at once, and the address it prints is the one
// it listens on (here a port the system chose).
func TestBannerAfterListening(t *testing.T) {
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run([]string{"-addr", "127.0.0.1:0"}, w, io.Discard) }()

	lines := bufio.NewScanner(r)
	if !lines.Scan() {
		t.Fatal("no banner")
	}
	first := lines.Text()
	base, ok := strings.CutPrefix(first, "fake Stripe on ")
	if !ok {
		t.Fatalf("banner %q", first)
	}
	u, err := url.Parse(base)
	if err != nil || u.Port() == "" || u.Port() == "0" {
		t.Fatalf("banner names no real address: %q", first)
	}
	// No retry: the address must answer as soon as it is printed.
	resp, err := http.PostForm(base+"/_demo/pay", url.Values{"account": {"acct_1"}, "email": {"a@example.com"}, "amount": {"100"}, "mode": {"live"}})
	if err != nil {
		t.Fatalf("the printed address does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("pay: %d", resp.StatusCode)
	}
	go io.Copy(io.Discard, r)
	select {
	case err := <-done:
		t.Fatalf("stopped: %v", err)
	default:
	}
}

// A taken address is an error, with no banner that would send anyone to
// whatever holds the port.
func TestTakenAddrPrintsNoBanner(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out strings.Builder
	errc := make(chan error, 1)
	go func() { errc <- run([]string{"-addr", ln.Addr().String()}, &out, io.Discard) }()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "-addr") {
			t.Errorf("error %v does not say how to choose another address", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not fail on a taken address")
	}
	if out.Len() > 0 {
		t.Errorf("printed %q for an address it could not listen on", out.String())
	}
}

// With -platform-account the keys belong to that account: GET /v1/account
// names it, and /_demo/webhooks sends its events (which name no account)
// to a receiver, signed with the given secret, one mode at a time.
func TestOwnAccountAndWebhooks(t *testing.T) {
	var got []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.ValidatePayload(body, r.Header.Get("Stripe-Signature"), "whsec_demo"); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, string(body))
		w.Write([]byte(`{"received":true}`))
	}))
	defer receiver.Close()
	fs := fakestripe.New()
	defer fs.Close()
	fs.AddKey(liveKey)
	fs.SetPlatformAccount("acct_own")
	srv := httptest.NewServer(handler(fs))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/v1/account", nil)
	req.Header.Set("Authorization", "Bearer "+liveKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var acct struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&acct)
	resp.Body.Close()
	if acct.ID != "acct_own" {
		t.Errorf("GET /v1/account: %q", acct.ID)
	}

	for _, mode := range []string{"live", "test"} {
		resp, err := http.PostForm(srv.URL+"/_demo/pay", url.Values{"account": {"acct_own"}, "email": {"a@example.com"}, "amount": {"100"}, "mode": {mode}})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("pay: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	resp, err = http.PostForm(srv.URL+"/_demo/webhooks", url.Values{"account": {"acct_own"}, "mode": {"live"}, "url": {receiver.URL}, "secret": {"whsec_demo"}})
	if err != nil {
		t.Fatal(err)
	}
	var ds []struct {
		Event  string
		Status int
	}
	json.NewDecoder(resp.Body).Decode(&ds)
	resp.Body.Close()
	if len(ds) == 0 || len(ds) != len(got) {
		t.Fatalf("deliveries %+v, received %d", ds, len(got))
	}
	for i, d := range ds {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v", d)
		}
		if strings.Contains(got[i], `"account"`) || !strings.Contains(got[i], `"livemode":true`) {
			t.Errorf("event sent %s", got[i])
		}
	}
}
