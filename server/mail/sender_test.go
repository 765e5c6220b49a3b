package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/mailpit"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

const from = "Tracklane <no-reply@tracklane.test>"

// fast are the sender's intervals in tests: a poll of 50 ms, retries from
// 100 ms doubling to 400 ms.
func fast() mail.Options {
	return mail.Options{Poll: 50 * time.Millisecond, Lease: 10 * time.Second, SendTimeout: 3 * time.Second,
		FirstRetry: 100 * time.Millisecond, MaxRetry: 400 * time.Millisecond}
}

// run starts a sender until the test ends (or stop is called).
func run(t *testing.T, outbox mail.Outbox, tr mail.Transport, opts mail.Options) (stop func()) {
	t.Helper()
	s := mail.NewSender(outbox, tr, opts, storetest.Logger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func smtpTo(t *testing.T, mp *mailpit.Server) *mail.SMTP {
	t.Helper()
	settings, err := mail.ParseSMTPURL(mp.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mail.NewSMTP(settings, from, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func enqueue(t *testing.T, st *store.Store, m mail.Message) {
	t.Helper()
	if err := st.EnqueueMail(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func outbox(t *testing.T, st *store.Store) []store.MailStatus {
	t.Helper()
	rows, err := st.MailOutbox(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// waitOutbox waits (up to 30 s) until every outbox row satisfies ok.
func waitOutbox(t *testing.T, st *store.Store, what string, ok func(store.MailStatus) bool) []store.MailStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows := outbox(t, st)
		all := len(rows) > 0
		for _, r := range rows {
			all = all && ok(r)
		}
		if all {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox never reached %q: %+v", what, rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sent(r store.MailStatus) bool { return r.SentAt != nil }

// A mail written to the outbox is handed to the SMTP server once, as
// multipart text+HTML with the right From, To, Subject and a Message-ID
// made from its outbox row; a stored field is escaped in the HTML.
func TestMailIsDeliveredOnceWithTextAndHTML(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t)
	m, err := mail.Compose(mail.KindInvitation, "ann@affiliate.test", "Join Acme's affiliate program",
		mail.InvitationData{Program: "Acme & Co", Name: `<script>alert("x")</script>Ann`, Link: "https://tracklane.test/p/acme/invite?token=abc&x=1"})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, m)
	run(t, st, smtpTo(t, mp), fast())

	got := mp.WaitFor(t, "ann@affiliate.test", 1)
	rows := waitOutbox(t, st, "sent", sent)
	time.Sleep(300 * time.Millisecond) // several polls: nothing goes out again
	if all := mp.Messages(t); len(all) != 1 {
		t.Fatalf("%d messages arrived, want 1: %+v", len(all), all)
	}
	msg := mp.Message(t, got[0].ID)
	if msg.From.Address != "no-reply@tracklane.test" || msg.From.Name != "Tracklane" {
		t.Errorf("From = %+v", msg.From)
	}
	if msg.Subject != "Join Acme's affiliate program" {
		t.Errorf("Subject = %q", msg.Subject)
	}
	if !strings.HasPrefix(msg.MessageID, fmt.Sprintf("tracklane.%d.", rows[0].ID)) || !strings.HasSuffix(msg.MessageID, "@tracklane.test") {
		t.Errorf("Message-ID = %q, want tracklane.%d.…@tracklane.test", msg.MessageID, rows[0].ID)
	}
	if !strings.Contains(msg.Text, `<script>alert("x")</script>Ann`) || !strings.Contains(msg.Text, "https://tracklane.test/p/acme/invite?token=abc&x=1") {
		t.Errorf("text part lacks the name or the link:\n%s", msg.Text)
	}
	if strings.Contains(msg.HTML, "<script>") || !strings.Contains(msg.HTML, "&lt;script&gt;") {
		t.Errorf("HTML part does not escape the name:\n%s", msg.HTML)
	}
	if !strings.Contains(msg.HTML, `href="https://tracklane.test/p/acme/invite?token=abc&amp;x=1"`) || !strings.Contains(msg.HTML, "Acme &amp; Co") {
		t.Errorf("HTML part lacks the escaped link or program:\n%s", msg.HTML)
	}
	if ct := strings.Join(msg.Headers["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if rows[0].Attempts != 1 {
		t.Errorf("attempts = %d, want 1", rows[0].Attempts)
	}
}

// SMTP_URL with credentials authenticates after STARTTLS (offered by the
// server, so taken); smtps:// speaks TLS from the start. The password
// never shows in the settings' String.
func TestMailOverTLSWithAuth(t *testing.T) {
	t.Parallel()
	cert, key, pool := selfSigned(t)
	for _, tc := range []struct{ name, scheme, flag, query string }{
		{"STARTTLS", "smtp", "--smtp-require-starttls", ""},
		{"STARTTLS required", "smtp", "--smtp-require-starttls", "?starttls=required"},
		{"implicit TLS", "smtps", "--smtp-require-tls", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.New(t)
			mp := mailpit.Start(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key, tc.flag, "--smtp-auth-accept-any")
			raw := strings.Replace(mp.SMTPURLWithAuth("mailer", "s3cret pass"), "smtp://", tc.scheme+"://", 1) + tc.query
			settings, err := mail.ParseSMTPURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(settings.String(), "s3cret") {
				t.Errorf("String() shows the password: %s", settings)
			}
			tr, err := mail.NewSMTP(settings, from, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			tr.TLSConfig = &tls.Config{RootCAs: pool}
			enqueue(t, st, mail.Message{Kind: mail.KindPasswordReset, To: "bob@merchant.test", Subject: "Reset", Text: "reset"})
			run(t, st, tr, fast())
			got := mp.WaitFor(t, "bob@merchant.test", 1)
			if got[0].Username != "mailer" {
				t.Errorf("SMTP user = %q, want mailer", got[0].Username)
			}
		})
	}
}

// A relay on this machine (Mailpit, a local Postfix) takes credentials
// without TLS, as Go's net/smtp allows for loopback: the mechanism is
// chosen here (go-mail's discovery offers PLAIN and LOGIN only over TLS,
// and sent nothing, forever). Addressed as 127.0.0.1 or as localhost.
func TestMailAuthenticatesToALoopbackRelayWithoutTLS(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.New(t)
			mp := mailpit.Start(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
			raw := strings.Replace(mp.SMTPURLWithAuth("mailer", "s3cret"), "@127.0.0.1:", "@"+host+":", 1)
			settings, err := mail.ParseSMTPURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := mail.NewSMTP(settings, from, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			enqueue(t, st, mail.Message{Kind: mail.KindPasswordReset, To: "bob@merchant.test", Subject: "Reset", Text: "reset"})
			run(t, st, tr, fast())
			got := mp.WaitFor(t, "bob@merchant.test", 1)
			if got[0].Username != "mailer" {
				t.Errorf("SMTP user = %q, want mailer", got[0].Username)
			}
		})
	}
}

// ?starttls=required makes STARTTLS mandatory: a server that does not
// offer it gets no credentials and no mail (the mail waits, retried), and
// the error says why without the password.
func TestMailRequiredSTARTTLSIsRequired(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	settings, err := mail.ParseSMTPURL(mp.SMTPURLWithAuth("mailer", "s3cret") + "?starttls=required")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mail.NewSMTP(settings, from, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, mail.Message{Kind: mail.KindPasswordReset, To: "bob@merchant.test", Subject: "Reset", Text: "reset"})
	run(t, st, tr, fast())
	rows := waitOutbox(t, st, "tried twice", func(r store.MailStatus) bool { return r.Attempts >= 2 })
	if rows[0].SentAt != nil || len(mp.Messages(t)) != 0 {
		t.Fatalf("sent without the required STARTTLS: %+v", rows[0])
	}
	if strings.Contains(rows[0].LastError, "s3cret") || !strings.Contains(strings.ToLower(rows[0].LastError), "starttls") {
		t.Errorf("the error: %s", rows[0].LastError)
	}
}

// The transport itself cannot be made to send credentials unencrypted to
// another machine, whatever the configuration check let through.
func TestSMTPRefusesCredentialsInClearToAnotherMachine(t *testing.T) {
	for _, raw := range []string{"smtp://mailer:s3cret@mail.example.com:587", "smtp://mailer:s3cret@192.0.2.7:25"} {
		settings, err := mail.ParseSMTPURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mail.NewSMTP(settings, from, time.Second); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want a refusal without the password", raw, err)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to files and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

// While the SMTP server is down the mail is retried with growing waits;
// when it is back the mail arrives exactly once.
func TestMailSurvivesAnSMTPOutage(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t)
	tr := smtpTo(t, mp)
	mp.Stop()
	enqueue(t, st, mail.Message{Kind: mail.KindPayoutPaid, To: "cy@affiliate.test", Subject: "Paid", Text: "paid", HTML: "<p>paid</p>"})
	run(t, st, tr, fast())

	// Four failed tries take 100+200+400 ms of waiting at least.
	start := time.Now()
	rows := waitOutbox(t, st, "4 failed attempts", func(r store.MailStatus) bool { return r.Attempts >= 4 })
	if elapsed := time.Since(start); elapsed < 600*time.Millisecond {
		t.Errorf("4 attempts within %s: no back-off", elapsed)
	}
	if rows[0].SentAt != nil || rows[0].FailedAt != nil || rows[0].LastError == "" {
		t.Fatalf("during the outage: %+v", rows[0])
	}
	mp.Restart(t)
	mp.WaitFor(t, "cy@affiliate.test", 1)
	waitOutbox(t, st, "sent", sent)
	time.Sleep(500 * time.Millisecond)
	if n := len(mp.Messages(t)); n != 1 {
		t.Fatalf("%d messages after the outage, want 1", n)
	}
}

// Two senders (each with its own connections) share one outbox: each of
// 50 mails is delivered exactly once.
func TestTwoSendersDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	other, err := store.Open(context.Background(), dsn, storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	mp := mailpit.Start(t)
	const n = 50
	for i := range n {
		enqueue(t, st, mail.Message{Kind: mail.KindApplicationReceived, To: fmt.Sprintf("m%02d@merchant.test", i),
			Subject: fmt.Sprintf("Application %02d", i), Text: "applied"})
	}
	opts := fast()
	opts.Batch = 3 // small claims, so the two senders interleave
	var a, b countingTransport
	a.next, b.next = smtpTo(t, mp), smtpTo(t, mp)
	run(t, st, &a, opts)
	run(t, other, &b, opts)

	waitOutbox(t, st, "all sent", sent)
	time.Sleep(300 * time.Millisecond)
	msgs := mp.Messages(t)
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.To[0].Address]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("m%02d@merchant.test", i)]; c != 1 {
			t.Errorf("m%02d delivered %d times", i, c)
		}
	}
	if len(msgs) != n {
		t.Errorf("%d messages, want %d", len(msgs), n)
	}
	t.Logf("sender A sent %d, sender B %d", a.n.Load(), b.n.Load())
	if a.n.Load() == 0 || b.n.Load() == 0 {
		t.Logf("one sender did all the work (allowed, but the test then shows less)")
	}
}

type countingTransport struct {
	next mail.Transport
	n    atomic.Int64
}

func (c *countingTransport) Send(ctx context.Context, o mail.Outgoing) error {
	err := c.next.Send(ctx, o)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

// A sender that claimed a mail and died never marks it: when the lease
// ends another sender delivers it, and the dead claim can no longer
// reschedule it.
func TestExpiredLeaseIsDeliveredByAnotherSender(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t)
	ctx := context.Background()
	enqueue(t, st, mail.Message{Kind: mail.KindInvitation, To: "dee@affiliate.test", Subject: "Join", Text: "join"})
	dead, err := st.ClaimMail(ctx, time.Now(), 700*time.Millisecond, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("claim: %v %v", dead, err)
	}
	if again, _ := st.ClaimMail(ctx, time.Now(), time.Minute, 10); len(again) != 0 {
		t.Fatalf("a leased mail was claimed twice: %+v", again)
	}
	claimed := time.Now()
	run(t, st, smtpTo(t, mp), fast())
	mp.WaitFor(t, "dee@affiliate.test", 1)
	if waited := time.Since(claimed); waited < 600*time.Millisecond {
		t.Errorf("delivered %s after the claim, before its lease ended", waited)
	}
	rows := waitOutbox(t, st, "sent", sent)
	if rows[0].Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the dead claim and the delivery)", rows[0].Attempts)
	}
	// The dead sender wakes up and reports a failure: nothing changes.
	if err := st.RescheduleMail(ctx, dead[0].ID, dead[0].Attempt, time.Now().Add(time.Hour), "late"); err != nil {
		t.Fatal(err)
	}
	if r := outbox(t, st)[0]; r.SentAt == nil || r.LastError != "" {
		t.Errorf("a stale claim changed the row: %+v", r)
	}
}

// Without SMTP_URL the Logger transport logs recipient, subject, kind and
// link, and the mail counts as sent.
func TestLoggerTransportLogsTheLink(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	enqueue(t, st, mail.Message{Kind: mail.KindInvitation, To: "eve@affiliate.test", Subject: "Join Acme",
		Text: "join", Link: "https://tracklane.test/p/acme/invite?token=xyz"})
	run(t, st, mail.Logger{Log: log}, fast())
	waitOutbox(t, st, "sent", sent)
	out := buf.String()
	for _, want := range []string{"to=eve@affiliate.test", `subject="Join Acme"`, "kind=invitation", `link="https://tracklane.test/p/acme/invite?token=xyz"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

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

type failing struct{ err error }

func (f failing) Send(context.Context, mail.Outgoing) error { return f.err }

// A failing mail is rescheduled while it is younger than GiveUpAfter and
// given up (failed_at) once older; a mail that cannot be built is given up
// at once.
func TestGiveUpOnlyAfter24Hours(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		age    time.Duration
		err    error
		failed bool
	}{
		{"23h old, server down", 23 * time.Hour, errors.New("connection refused"), false},
		{"24h old, server down", 24*time.Hour + time.Minute, errors.New("connection refused"), true},
		{"new, malformed recipient", 0, mail.Permanent(errors.New("bad address")), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.New(t)
			enqueue(t, st, mail.Message{Kind: mail.KindPayoutPaid, To: "fay@affiliate.test", Subject: "Paid", Text: "paid"})
			opts := fast()
			opts.Now = func() time.Time { return time.Now().Add(tc.age) }
			run(t, st, failing{tc.err}, opts)
			rows := waitOutbox(t, st, "tried", func(r store.MailStatus) bool { return r.LastError != "" })
			if got := rows[0].FailedAt != nil; got != tc.failed {
				t.Errorf("given up = %v, want %v (%+v)", got, tc.failed, rows[0])
			}
		})
	}
}

// The first retry comes within a minute; waits double to at most 5
// minutes, and 24 h of retries take over 280 tries.
func TestBackoffSchedule(t *testing.T) {
	first, most := 15*time.Second, 5*time.Minute
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := mail.Backoff(i+1, first, most); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := mail.Backoff(10000, first, most); got != most {
		t.Errorf("Backoff(10000) = %s", got)
	}
}

// A recipient the message cannot even be addressed to is given up at once
// (no retry can fix it), and nothing reaches the server.
func TestMalformedRecipientIsGivenUp(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t)
	enqueue(t, st, mail.Message{Kind: mail.KindInvitation, To: "not an address", Subject: "Join", Text: "join"})
	run(t, st, smtpTo(t, mp), fast())
	rows := waitOutbox(t, st, "given up", func(r store.MailStatus) bool { return r.FailedAt != nil })
	if rows[0].Attempts != 1 || len(mp.Messages(t)) != 0 {
		t.Errorf("after a malformed recipient: %+v, %d messages", rows[0], len(mp.Messages(t)))
	}
}

// lostMarks is an outbox whose first marks fail, as if the process died
// between the SMTP server's acceptance and the row being marked sent.
type lostMarks struct {
	*store.Store
	fail atomic.Int32
}

func (l *lostMarks) MarkMailSent(ctx context.Context, id int64, at time.Time) error {
	if l.fail.Add(-1) >= 0 {
		return errors.New("connection lost")
	}
	return l.Store.MarkMailSent(ctx, id, at)
}

// The one gap no SMTP client closes: accepted, then not marked sent. The
// mail goes out again when its lease ends, with the same Message-ID, so a
// receiver that de-duplicates by Message-ID (Mailpit can) keeps one.
func TestResendAfterALostMarkKeepsTheMessageID(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	mp := mailpit.Start(t)
	dedup := mailpit.Start(t, "--ignore-duplicate-ids")
	enqueue(t, st, mail.Message{Kind: mail.KindPasswordReset, To: "gil@merchant.test", Subject: "Reset", Text: "reset"})
	ob := &lostMarks{Store: st}
	ob.fail.Store(3) // the sender tries a mark three times
	opts := fast()
	opts.Lease, opts.SendTimeout = time.Second, 300*time.Millisecond
	run(t, ob, both{smtpTo(t, mp), smtpTo(t, dedup)}, opts)
	got := mp.WaitFor(t, "gil@merchant.test", 2)
	waitOutbox(t, st, "sent", sent)
	if got[0].MessageID != got[1].MessageID {
		t.Errorf("the resend has another Message-ID: %q, %q", got[0].MessageID, got[1].MessageID)
	}
	if n := len(dedup.Messages(t)); n != 1 {
		t.Errorf("a Message-ID de-duplicating server kept %d copies, want 1", n)
	}
}

// both sends to two servers (the second only after the first accepted).
type both [2]mail.Transport

func (b both) Send(ctx context.Context, o mail.Outgoing) error {
	if err := b[0].Send(ctx, o); err != nil {
		return err
	}
	return b[1].Send(ctx, o)
}

// slowRecorder takes its time per mail and counts deliveries per row.
type slowRecorder struct {
	delay time.Duration
	mu    *sync.Mutex
	sent  map[int64]int
}

func (r slowRecorder) Send(ctx context.Context, o mail.Outgoing) error {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent[o.ID]++
	return nil
}

// A slow server never makes a batch outlive its lease: a mail whose lease
// could run out before its send ends is handed back untried, so a second
// sender that claims it after the lease never sends it twice.
func TestSlowSendsNeverOutliveTheLease(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	other, err := store.Open(context.Background(), dsn, storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	const n = 12
	for i := range n {
		enqueue(t, st, mail.Message{Kind: mail.KindPayoutPaid, To: fmt.Sprintf("p%d@affiliate.test", i), Subject: "Paid", Text: "paid"})
	}
	rec := slowRecorder{delay: 150 * time.Millisecond, mu: new(sync.Mutex), sent: map[int64]int{}}
	opts := fast()
	opts.Batch, opts.Lease, opts.SendTimeout = n, 600*time.Millisecond, 200*time.Millisecond
	run(t, st, rec, opts)
	run(t, other, rec, opts)
	waitOutbox(t, st, "all sent", sent)
	time.Sleep(time.Second)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id, c := range rec.sent {
		if c != 1 {
			t.Errorf("mail %d sent %d times", id, c)
		}
	}
	if len(rec.sent) != n {
		t.Errorf("%d mails sent, want %d", len(rec.sent), n)
	}
}

// gate holds each send until released, telling when one has started.
type gate struct {
	started chan int64
	release chan struct{}
}

func (g gate) Send(ctx context.Context, o mail.Outgoing) error {
	g.started <- o.ID
	<-g.release
	return nil
}

// Stopping the sender mid-batch finishes the send in flight and records
// it (the server accepted it: it must not go out again), and hands the
// claimed mails not yet tried back, due at once and with no attempt
// counted.
func TestStopFinishesTheSendInFlightAndReleasesTheRest(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	for i := range 3 {
		enqueue(t, st, mail.Message{Kind: mail.KindInvitation, To: fmt.Sprintf("h%d@affiliate.test", i), Subject: "Join", Text: "join"})
	}
	g := gate{started: make(chan int64, 3), release: make(chan struct{})}
	stop := run(t, st, g, fast())
	first := <-g.started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(100 * time.Millisecond) // the stop reaches the sender mid-send
	close(g.release)
	<-stopped
	for _, r := range outbox(t, st) {
		switch {
		case r.ID == first && r.SentAt == nil:
			t.Errorf("the send in flight was not recorded: %+v", r)
		case r.ID != first && (r.SentAt != nil || r.Attempts != 0 || r.NextAttemptAt.After(time.Now())):
			t.Errorf("an untried claim was not released: %+v", r)
		}
	}
}

// Mails sent or given up more than Keep ago leave the outbox; newer ones
// and unsent ones stay.
func TestOldMailsArePurged(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	for _, to := range []string{"old@x.test", "recent@x.test", "waiting@x.test"} {
		enqueue(t, st, mail.Message{Kind: mail.KindInvitation, To: to, Subject: "s", Text: "t"})
	}
	claimed, err := st.ClaimMail(ctx, time.Now(), time.Hour, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	st.MarkMailSent(ctx, claimed[0].ID, time.Now().Add(-31*24*time.Hour))
	st.MarkMailSent(ctx, claimed[1].ID, time.Now().Add(-29*24*time.Hour))
	opts := fast()
	opts.Poll = time.Hour // the purge runs at start
	run(t, st, mail.Logger{Log: storetest.Logger(t)}, opts)
	rows := waitOutbox(t, st, "purged", func(r store.MailStatus) bool { return r.To != "old@x.test" })
	if len(rows) != 2 {
		t.Errorf("outbox after the purge: %+v", rows)
	}
}
