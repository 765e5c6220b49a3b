package cli_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
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

func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	code := cli.Run(context.Background(), []string{"serve"}, cli.Env{
		Getenv: func(k string) string { return map[string]string{"SYNC_INTERVAL": "0s", "SECRET_KEY": "x"}[k] },
		Dir:    t.TempDir(), Stdout: &out, Stderr: &out,
	})
	if code == 0 || !bytes.Contains(out.Bytes(), []byte("SYNC_INTERVAL")) {
		t.Errorf("exit %d, output %s", code, out.String())
	}
}
