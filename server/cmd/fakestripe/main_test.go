package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
