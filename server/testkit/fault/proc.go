package fault

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The server binary is built once per test binary, into a directory that
// Cleanup removes (TestMain calls it).
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary returns the path of the tracklane server binary, building it on
// first use (`go build ./server`). A build failure fails the test: the
// fault tests never skip.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "tracklane-faulttest-bin-")
		if build.err != nil {
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			build.err = fmt.Errorf("the go command is not on PATH: %w", err)
			return
		}
		build.path = filepath.Join(build.dir, "tracklane")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, gobin, "build", "-o", build.path, "github.com/tracklane/tracklane/server")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./server: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("building the server binary: %v", build.err)
	}
	return build.path
}

// Cleanup removes the built binary.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Process is a running server binary.
type Process struct {
	Name string
	URL  string // http://ADDR
	Addr string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // set when done is closed
}

// syncBuffer is a bytes.Buffer safe for the process's two output pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartServer runs the server binary (`tracklane serve`) with env (on top of
// PATH and HOME only: nothing of the test's own environment leaks in), on
// env["ADDR"] or a free loopback port, and waits until /healthz answers
// 200. The process is killed when the test ends, and its output is logged
// if the test failed.
func StartServer(t testing.TB, name string, env map[string]string) *Process {
	t.Helper()
	bin := Binary(t)
	addr := env["ADDR"]
	if addr == "" {
		addr = FreeAddr(t)
	}
	vars := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		"ADDR": addr, "PUBLIC_URL": "http://" + addr,
	}
	for k, v := range env {
		vars[k] = v
	}
	p := &Process{Name: name, Addr: addr, URL: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Dir = t.TempDir()
	for k, v := range vars {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("output of %s (last 4 KiB):\n%s", name, tail(p.out.String(), 4096))
		}
	})
	if err := p.WaitHealthy(30 * time.Second); err != nil {
		t.Fatalf("%s did not become healthy: %v\n%s", name, err, tail(p.out.String(), 4096))
	}
	return p
}

// WaitHealthy polls /healthz until it answers 200, the process exits, or
// the timeout passes.
func (p *Process) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.done:
			return fmt.Errorf("the process exited: %v", p.err)
		default:
		}
		resp, err := c.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 from /healthz within %s (last: %v)", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends SIGKILL (no shutdown of any kind) and waits for the exit.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
