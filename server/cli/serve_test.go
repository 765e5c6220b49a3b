package cli_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// syncBuffer is a bytes.Buffer safe for the server's logging goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestServeStartsAndStopsGracefully(t *testing.T) {
	t.Parallel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	vars := map[string]string{"DATABASE_URL": storetest.MissingDatabase(t), "ADDR": addr, "SECRET_KEY": "serve-test-secret-0123"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs syncBuffer
	go func() {
		done <- cli.Run(ctx, nil, cli.Env{Getenv: func(k string) string { return vars[k] }, Dir: t.TempDir(), Stdout: &logs, Stderr: &logs})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the server did not become healthy: %v\n%s", err, logs.b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel() // what SIGINT/SIGTERM do
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d\n%s", code, logs.b.String())
		}
	case <-time.After(35 * time.Second):
		t.Fatal("the server did not stop")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

// A broken configuration stops the server with one line per problem, each
// naming its variable.
func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	code := cli.Run(context.Background(), []string{"serve"}, cli.Env{
		Getenv: func(k string) string {
			return map[string]string{"SYNC_INTERVAL": "0s", "SECRET_KEY": "x", "PUBLIC_URL": "localhost:8080"}[k]
		},
		Dir: t.TempDir(), Stdout: &out, Stderr: &out,
	})
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if code == 0 || len(lines) != 3 {
		t.Fatalf("exit %d, output %q; want a failure and three lines", code, out.String())
	}
	for i, name := range []string{"PUBLIC_URL", "SYNC_INTERVAL", "SECRET_KEY"} {
		if !strings.HasPrefix(lines[i], "configuration: "+name+": ") {
			t.Errorf("line %d is %q; want the %s problem", i+1, lines[i], name)
		}
	}
}

// On start the server says where to go: the sign-up page while there is no
// tenant, the login page once there is one; and, with SECRET_KEY unset,
// that it uses the generated key.
func TestServeLogsTheDashboardURL(t *testing.T) {
	t.Parallel()
	dsn := storetest.MissingDatabase(t)
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": dsn, "PUBLIC_URL": "https://track.example"}
	env := func(logs *syncBuffer) cli.Env {
		return cli.Env{Getenv: func(k string) string { return vars[k] }, Dir: dir, Stdout: logs, Stderr: logs}
	}
	startAndStop := func() string {
		t.Helper()
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		vars["ADDR"] = l.Addr().String()
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var logs syncBuffer
		done := make(chan int, 1)
		go func() { done <- cli.Run(ctx, nil, env(&logs)) }()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), "dashboard") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		return logs.String()
	}

	first := startAndStop()
	if !strings.Contains(first, "https://track.example/signup") {
		t.Errorf("with no tenant the log does not point to the sign-up page:\n%s", first)
	}
	if !strings.Contains(first, "SECRET_KEY is unset") {
		t.Errorf("no warning about the generated secret key:\n%s", first)
	}
	var out syncBuffer
	if code := cli.Run(context.Background(), []string{"tenant", "create", "--name", "A", "--email", "a@example.com", "--password", "s3cret-pass-long"}, env(&out)); code != 0 {
		t.Fatalf("tenant create: %d %s", code, out.String())
	}
	if second := startAndStop(); !strings.Contains(second, "https://track.example/login") || strings.Contains(second, "/signup") {
		t.Errorf("with a tenant the log does not point to the login page:\n%s", second)
	}
}

// A taken METRICS_ADDR stops the start with one line naming the variable
// (not a structured log record), and nothing is served.
func TestServeRefusesATakenMetricsPort(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	vars := map[string]string{"DATABASE_URL": storetest.MissingDatabase(t), "ADDR": addr, "SECRET_KEY": "serve-test-secret-0123",
		"METRICS_ADDR": taken.Addr().String()}
	var out syncBuffer
	code := cli.Run(context.Background(), nil, cli.Env{Getenv: func(k string) string { return vars[k] }, Dir: t.TempDir(), Stdout: &out, Stderr: &out})
	if code != 1 {
		t.Fatalf("exit %d; want 1\n%s", code, out.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	want := "error: METRICS_ADDR " + taken.Addr().String() + " is already in use by another program"
	if !strings.HasPrefix(last, want) {
		t.Errorf("last line %q; want it to start with %q\n%s", last, want, out.String())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the public listener serves although the start failed")
	}
}

// The start log says which Stripe parts are set (never their values) and
// what is off without them.
func TestServeLogsTheStripeConfiguration(t *testing.T) {
	t.Parallel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	vars := map[string]string{"DATABASE_URL": storetest.MissingDatabase(t), "ADDR": addr, "SECRET_KEY": "serve-test-secret-0123",
		"STRIPE_TEST_SECRET_KEY": "sk_test_visible-nowhere-123", "STRIPE_APP_SECRET": "absec_visible-nowhere-456"}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, nil, cli.Env{Getenv: func(k string) string { return vars[k] }, Dir: t.TempDir(), Stdout: &logs, Stderr: &logs})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "dashboard") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	out := logs.String()
	for _, want := range []string{"STRIPE_APP_SECRET=set", "STRIPE_SECRET_KEY=unset", "STRIPE_TEST_SECRET_KEY=set",
		"STRIPE_WEBHOOK_SECRET is unset: /stripe/webhook answers 503", "STRIPE_TEST_WEBHOOK_SECRET is unset: /stripe/webhook/test answers 503"} {
		if !strings.Contains(out, want) {
			t.Errorf("the start log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "visible-nowhere") {
		t.Errorf("a secret's value reached the log:\n%s", out)
	}
}
