// Package benchenv sets up what the benchmarks run against: fresh
// PostgreSQL databases, the real server binary as a separate process,
// tenants and affiliates provisioned through its command line, and
// samples of a process's memory and CPU from /proc.
package benchenv

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
)

// AdminURL is the PostgreSQL server the benchmarks use (any database on
// it): BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local server.
func AdminURL() string {
	for _, k := range []string{"BENCH_DATABASE_URL", "TEST_DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// DatabaseURL returns the URL of database name on the admin server.
func DatabaseURL(name string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// FreshDatabase drops database name if it exists and creates it empty;
// it returns its URL. The server migrates it on start.
func FreshDatabase(ctx context.Context, name string) (string, error) {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("dropping %s: %w", name, err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("creating %s: %w", name, err)
	}
	return DatabaseURL(name), nil
}

// DropDatabase drops database name (connections forced closed).
func DropDatabase(ctx context.Context, name string) error {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`)
	return err
}

// Build compiles the server (go build ./server, from the module root dir)
// into out.
func Build(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./server")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./server: %v\n%s", err, b)
	}
	return nil
}

// ModuleRoot finds the directory holding go.mod, from the working
// directory up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Env is a server environment: the variables the benchmark server runs
// with (on top of a minimal PATH/HOME).
func Env(dsn, addr string, extra map[string]string) []string {
	vars := map[string]string{
		"DATABASE_URL":        dsn,
		"ADDR":                addr,
		"PUBLIC_URL":          "http://" + addr,
		"SECRET_KEY":          "bench-secret-key-0123456789abcdef",
		"TRACKING_RATE_LIMIT": "0",
		"SYNC_INTERVAL":       "1h",
		"PATH":                os.Getenv("PATH"),
		"HOME":                os.Getenv("HOME"),
	}
	for k, v := range extra {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// Provisioned is a tenant with one affiliate, made through the CLI.
type Provisioned struct {
	TenantID  string `json:"tenant_id"`
	Token     string `json:"personal_token"`
	OriginID  string `json:"revenue_origin_id"`
	Affiliate string `json:"affiliate_id"`
	Code      string `json:"code"`
}

// Provision creates a tenant (website https://shop.example) and an
// affiliate with code through the server binary's commands, as an
// operator would.
func Provision(ctx context.Context, bin string, env []string, code string) (Provisioned, error) {
	var p Provisioned
	out, err := runJSON(ctx, bin, env, "tenant", "create", "--name", "Bench Shop", "--email", "owner@bench.example",
		"--password", "correct horse battery", "--website", "https://shop.example")
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return p, fmt.Errorf("tenant create: %v: %s", err, out)
	}
	out, err = runJSON(ctx, bin, env, "affiliate", "create", "--tenant", p.TenantID, "--name", "Bench Affiliate",
		"--email", "partner@bench.example", "--code", code)
	if err != nil {
		return p, err
	}
	var a struct {
		ID   string `json:"affiliate_id"`
		Code string `json:"code"`
	}
	if err := json.Unmarshal(out, &a); err != nil {
		return p, fmt.Errorf("affiliate create: %v: %s", err, out)
	}
	p.Affiliate, p.Code = a.ID, a.Code
	return p, nil
}

func runJSON(ctx context.Context, bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = os.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args[:2], " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Server is the server binary running as a child process.
type Server struct {
	Cmd  *exec.Cmd
	Addr string
	done chan struct{}
	err  error
}

// StartServer starts bin with env (its log goes to logPath) and waits
// until /healthz answers 200.
func StartServer(ctx context.Context, bin string, env []string, addr, logPath string) (*Server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Dir = os.TempDir()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{Cmd: cmd, Addr: addr, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); logf.Close(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("server exited on start (%v): %s", s.err, b)
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Kill()
			return nil, fmt.Errorf("server did not become healthy within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.Cmd.Process.Pid }

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill() {
	s.Cmd.Process.Kill()
	<-s.done
}

// Stop sends SIGTERM (graceful shutdown) and waits up to 30 s, then kills.
func (s *Server) Stop() {
	s.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
}

// RSS returns the resident set size of process pid in bytes (VmRSS).
func RSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// CPUTime returns the user+system CPU time process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// MachineCPU returns the busy and total jiffies of all CPUs (/proc/stat).
func MachineCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// LoadAverage returns /proc/loadavg's first three fields.
func LoadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// RSSSampler samples a process's RSS every interval until stopped.
type RSSSampler struct {
	mu      sync.Mutex
	max     int64
	last    int64
	samples int
	stop    chan struct{}
	done    chan struct{}
}

// SampleRSS starts sampling pid's RSS.
func SampleRSS(pid int, every time.Duration) *RSSSampler {
	s := &RSSSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, err := RSS(pid); err == nil {
				s.mu.Lock()
				s.last = v
				s.samples++
				if v > s.max {
					s.max = v
				}
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Reset forgets the maximum so far (a new phase starts).
func (s *RSSSampler) Reset() {
	s.mu.Lock()
	s.max, s.samples = s.last, 0
	s.mu.Unlock()
}

// Max returns the largest RSS seen since the start or the last Reset, and
// how many samples were taken.
func (s *RSSSampler) Max() (int64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.samples
}

// Stop ends sampling.
func (s *RSSSampler) Stop() {
	close(s.stop)
	<-s.done
}

// CountRows runs a count query on dsn.
func CountRows(ctx context.Context, dsn, query string, args ...any) (int64, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}
