package faulttest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/mailpit"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// TestTwoProcessesSendEachMailOnce runs two server processes on one
// database with one SMTP server (STARTTLS, each process authenticating as
// its own user so the mailbox tells who sent what) and writes 50 mails to
// the outbox while both run: each arrives exactly once.
func TestTwoProcessesSendEachMailOnce(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	cert, key := selfSignedFiles(t)
	mp := mailpit.Start(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls", "--smtp-auth-accept-any")
	env := func(user string) map[string]string {
		return map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": secretKey, "SSL_CERT_FILE": cert,
			"SMTP_URL": mp.SMTPURLWithAuth(user, "pw-"+user), "MAIL_FROM": "Acme Partners <partners@acme.test>"}
	}
	a := fault.StartServer(t, "server#A", env("proc-a"))
	b := fault.StartServer(t, "server#B", env("proc-b"))

	const n = 50
	ctx := context.Background()
	for i := range n {
		m := mail.Message{Kind: mail.KindInvitation, To: fmt.Sprintf("aff%02d@affiliate.test", i),
			Subject: fmt.Sprintf("Invitation %02d", i), Text: "join", HTML: "<p>join</p>"}
		if err := st.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			time.Sleep(400 * time.Millisecond) // in bursts, so both processes find work
		}
	}
	if !waitFor(60*time.Second, func() bool {
		return queryInt(t, st.DB(), `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`) == 0
	}) {
		t.Fatalf("mails left unsent: %d", queryInt(t, st.DB(), `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`))
	}
	time.Sleep(4 * time.Second) // more than a poll of each process: nothing goes out again
	a.Kill()
	b.Kill()

	msgs := mp.Messages(t)
	seen, byUser := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		seen[m.To[0].Address]++
		byUser[m.Username]++
		if m.From.Address != "partners@acme.test" {
			t.Errorf("From = %+v", m.From)
		}
	}
	for i := range n {
		if c := seen[fmt.Sprintf("aff%02d@affiliate.test", i)]; c != 1 {
			t.Errorf("aff%02d delivered %d times", i, c)
		}
	}
	if len(msgs) != n {
		t.Errorf("%d messages, want %d", len(msgs), n)
	}
	t.Logf("delivered by process: %v", byUser)
	if attempts := queryInt(t, st.DB(), `SELECT sum(attempts) FROM mail_outbox`); attempts != n {
		t.Errorf("%d attempts for %d mails, want one each", attempts, n)
	}
}

// TestSIGKILLAfterClaimingMail kills a server process with SIGKILL while
// it holds claimed mails (its SMTP server accepts connections and never
// answers, so nothing was handed over). When the claims' lease ends (the
// test moves it to now rather than wait the 5 minutes) a second process,
// with a working SMTP server, delivers every mail exactly once.
func TestSIGKILLAfterClaimingMail(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	db := st.DB()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never greets
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 100)
	t.Cleanup(func() {
		silent.Close()
		for len(conns) > 0 {
			(<-conns).Close()
		}
	})
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- c:
			default:
				c.Close()
			}
		}
	}()
	mp := mailpit.Start(t)
	const n = 5
	for i := range n {
		if err := st.EnqueueMail(context.Background(), mail.Message{Kind: mail.KindPasswordReset,
			To: fmt.Sprintf("r%d@merchant.test", i), Subject: "Reset", Text: "reset"}); err != nil {
			t.Fatal(err)
		}
	}
	a := fault.StartServer(t, "server#A", map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": secretKey,
		"SMTP_URL": "smtp://" + silent.Addr().String()})
	claimed := `SELECT count(*) FROM mail_outbox WHERE claimed_until IS NOT NULL AND sent_at IS NULL`
	if !waitFor(20*time.Second, func() bool { return queryInt(t, db, claimed) == n }) {
		t.Fatalf("server A claimed %d of %d mails", queryInt(t, db, claimed), n)
	}
	a.Kill()
	if got := queryInt(t, db, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL OR next_attempt_at <= now()`); got != 0 {
		t.Fatalf("%d mails were sent or due right after the kill; the lease should hold them", got)
	}
	b := fault.StartServer(t, "server#B", map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": secretKey, "SMTP_URL": mp.SMTPURL()})
	time.Sleep(4 * time.Second) // over a poll of B: the lease still holds the mails
	if got := len(mp.Messages(t)); got != 0 {
		t.Fatalf("%d mails sent during the dead process's lease", got)
	}
	if _, err := db.Exec(`UPDATE mail_outbox SET next_attempt_at = now() WHERE claimed_until IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if !waitFor(30*time.Second, func() bool { return queryInt(t, db, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`) == 0 }) {
		t.Fatal("server B did not deliver the dead process's mails")
	}
	time.Sleep(4 * time.Second)
	b.Kill()
	msgs := mp.Messages(t)
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.To[0].Address]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("r%d@merchant.test", i)]; c != 1 {
			t.Errorf("r%d delivered %d times", i, c)
		}
	}
	if got := queryInt(t, db, `SELECT min(attempts) FROM mail_outbox`); got != 2 {
		t.Errorf("attempts = %d, want 2 (the dead claim, the delivery)", got)
	}
}

// selfSignedFiles writes a certificate for 127.0.0.1 (its own CA, trusted
// by the processes through SSL_CERT_FILE) and its key.
func selfSignedFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
