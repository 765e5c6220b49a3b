package cli_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/testkit/mailpit"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// serveWhile runs `serve` with vars on a free port while fn runs, then
// stops it as SIGTERM would and returns its log.
func serveWhile(t *testing.T, vars map[string]string, fn func(logs *syncBuffer)) string {
	t.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	vars["ADDR"] = l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, nil, cli.Env{Getenv: func(k string) string { return vars[k] }, Dir: t.TempDir(), Stdout: &logs, Stderr: &logs})
	}()
	fn(&logs)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
	return logs.String()
}

func waitLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q:\n%s", want, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Without SMTP_URL the server logs each mail with its link instead of
// sending it.
func TestServeLogsMailWithoutSMTP(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	vars := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": "serve-test-secret-0123"}
	out := serveWhile(t, vars, func(logs *syncBuffer) {
		waitLog(t, logs, "SMTP_URL is unset")
		if err := st.EnqueueMail(context.Background(), mail.Message{Kind: mail.KindInvitation, To: "ann@affiliate.test",
			Subject: "Join Acme", Text: "join", Link: "https://track.example/p/acme/invite?token=abc"}); err != nil {
			t.Fatal(err)
		}
		waitLog(t, logs, `link="https://track.example/p/acme/invite?token=abc"`)
	})
	if !strings.Contains(out, "to=ann@affiliate.test") {
		t.Errorf("the log lacks the recipient:\n%s", out)
	}
}

// With SMTP_URL the server sends the outbox through it, and does not log a
// sent mail's link (it is a secret-bearing URL).
func TestServeSendsMailThroughSMTP(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	mp := mailpit.Start(t)
	vars := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": "serve-test-secret-0123",
		"SMTP_URL": mp.SMTPURL(), "MAIL_FROM": "Acme <partners@acme.test>"}
	out := serveWhile(t, vars, func(logs *syncBuffer) {
		if err := st.EnqueueMail(context.Background(), mail.Message{Kind: mail.KindPayoutPaid, To: "bo@affiliate.test",
			Subject: "Paid", Text: "paid", Link: "https://track.example/p/acme/payouts"}); err != nil {
			t.Fatal(err)
		}
		mp.WaitFor(t, "bo@affiliate.test", 1)
	})
	if !strings.Contains(out, "mail: sending through "+mp.SMTPURL()) {
		t.Errorf("the log does not name the SMTP server:\n%s", out)
	}
	if strings.Contains(out, "https://track.example/p/acme/payouts") {
		t.Errorf("a sent mail's link was logged:\n%s", out)
	}
}

// The start-up log names the SMTP server without its password.
func TestServeNeverLogsTheSMTPPassword(t *testing.T) {
	t.Parallel()
	_, dsn := storetest.New(t)
	vars := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": "serve-test-secret-0123",
		"SMTP_URL": "smtp://mailer:hunter2secret@127.0.0.1:1"}
	out := serveWhile(t, vars, func(logs *syncBuffer) { waitLog(t, logs, "mail: sending through") })
	if strings.Contains(out, "hunter2secret") {
		t.Errorf("the log shows the SMTP password:\n%s", out)
	}
	if !strings.Contains(out, "smtp://mailer@127.0.0.1:1") {
		t.Errorf("the log does not name the SMTP server:\n%s", out)
	}
}
