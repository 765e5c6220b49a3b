// Package mailpit runs Mailpit (a real SMTP server with an HTTP API) for
// tests: Start one on free loopback ports, point the code's SMTP_URL at
// SMTPURL, and read what arrived with Messages, Message and WaitFor. Stop
// and Restart (same ports) play an SMTP outage. Test support only.
//
// Mailpit must be installed (.ci/test does it: go install
// github.com/axllent/mailpit@v1.33.1); a missing Mailpit fails the test.
package mailpit

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is one running (or stopped) Mailpit.
type Server struct {
	bin      string
	args     []string
	smtpAddr string
	httpAddr string
	client   *http.Client

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start runs Mailpit for the test's lifetime, with its messages in a
// database under t.TempDir() (kept across Restart, removed with the test).
// extra are more mailpit flags, e.g. "--smtp-auth-accept-any",
// "--ignore-duplicate-ids", "--smtp-tls-cert" FILE.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := &Server{bin: binary(), smtpAddr: freeAddr(t), httpAddr: freeAddr(t), client: &http.Client{Timeout: 10 * time.Second}}
	s.args = append([]string{"--smtp", s.smtpAddr, "--listen", s.httpAddr, "--disable-version-check",
		"--smtp-disable-rdns", "--quiet", "--max", "0", "--database", filepath.Join(t.TempDir(), "mailpit.db")}, extra...)
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

func binary() string {
	if bin, err := exec.LookPath("mailpit"); err == nil {
		return bin
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	return filepath.Join(strings.TrimSpace(string(gopath)), "bin", "mailpit")
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(s.bin, s.args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mailpit (install: go install github.com/axllent/mailpit@v1.33.1): %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if s.ready() {
			return
		}
		select {
		case <-exited:
			t.Fatalf("mailpit exited on start: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not become ready on %s / %s", s.smtpAddr, s.httpAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) ready() bool {
	c, err := net.DialTimeout("tcp", s.smtpAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	resp, err := s.client.Get(s.HTTPURL() + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends Mailpit (SIGTERM, SIGKILL after 5 s) and waits for it to
// exit; SMTP connections are then refused until Restart. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Restart starts a stopped Mailpit again on the same ports, with the
// messages it had.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// SMTPAddr is host:port of the SMTP listener.
func (s *Server) SMTPAddr() string { return s.smtpAddr }

// SMTPURL is the SMTP_URL that reaches this server (smtp://, no
// credentials).
func (s *Server) SMTPURL() string { return "smtp://" + s.smtpAddr }

// SMTPURLWithAuth is SMTPURL with credentials (for a server started with
// --smtp-auth-accept-any --smtp-auth-allow-insecure).
func (s *Server) SMTPURLWithAuth(user, pass string) string {
	return (&url.URL{Scheme: "smtp", User: url.UserPassword(user, pass), Host: s.smtpAddr}).String()
}

// HTTPURL is the base of Mailpit's web UI and API.
func (s *Server) HTTPURL() string { return "http://" + s.httpAddr }

// Address is a mailbox in Mailpit's answers.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message as Mailpit lists it.
type Summary struct {
	ID        string    `json:"ID"` // Mailpit's own id (for Message)
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
	Created   time.Time `json:"Created"`
	Username  string    `json:"Username"` // the SMTP AUTH user, if any
}

// Message is one message in full: its text and HTML parts, and headers.
type Message struct {
	Summary
	Text    string              `json:"Text"`
	HTML    string              `json:"HTML"`
	Headers map[string][]string `json:"-"`
}

// Messages lists every message Mailpit holds, oldest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var page struct {
		Messages []Summary `json:"messages"`
	}
	s.get(t, "/api/v1/messages?limit=1000", &page)
	out := page.Messages
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 { // the API lists newest first
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Message reads one message (by Summary.ID) with its bodies and headers.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+url.PathEscape(id), &m)
	s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers)
	return m
}

// WaitFor waits (up to 30 s) until at least n messages to the address to
// have arrived and returns all messages to it; it fails the test on
// timeout.
func (s *Server) WaitFor(t testing.TB, to string, n int) []Summary {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := To(s.Messages(t), to)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit: %d message(s) to %s after 30 s, want %d", len(got), to, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// To keeps the messages addressed to the address (case-insensitive).
func To(msgs []Summary, to string) []Summary {
	var out []Summary
	for _, m := range msgs {
		for _, a := range m.To {
			if strings.EqualFold(a.Address, to) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// DeleteAll empties the mailbox.
func (s *Server) DeleteAll(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, s.HTTPURL()+"/api/v1/messages", nil)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("mailpit: deleting messages: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit: deleting messages: %s", resp.Status)
	}
}

func (s *Server) get(t testing.TB, path string, into any) {
	t.Helper()
	resp, err := s.client.Get(s.HTTPURL() + path)
	if err != nil {
		t.Fatalf("mailpit: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit: GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("mailpit: GET %s: %v", path, fmt.Errorf("decoding %q: %w", body, err))
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
