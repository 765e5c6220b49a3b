package config_test

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/config"
)

func TestMailDefaults(t *testing.T) {
	c, err := config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", "PUBLIC_URL": "https://track.example:8443/"}), t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.MailConfigured || c.MailFrom != "Tracklane <no-reply@track.example>" {
		t.Errorf("mail defaults: configured=%v from=%q", c.MailConfigured, c.MailFrom)
	}
}

func TestMailValues(t *testing.T) {
	for _, tc := range []struct {
		url, display string
		port         int
		tls          bool
	}{
		{"smtp://mailer:p%40ss@mail.example:587?starttls=required", "smtp://mailer@mail.example:587?starttls=required", 587, false},
		{"smtp://mailer:p%40ss@[::1]:1025", "smtp://mailer@[::1]:1025", 1025, false},
		{"smtps://mail.example", "smtps://mail.example:465", 465, true},
		{"smtp://mail.example", "smtp://mail.example:25", 25, false},
	} {
		c, err := config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", "SMTP_URL": tc.url,
			"MAIL_FROM": "Acme Partners <partners@acme.example>"}), t.TempDir(), quiet)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if !c.MailConfigured || c.SMTP.Port != tc.port || c.SMTP.ImplicitTLS != tc.tls || c.SMTP.String() != tc.display ||
			c.MailFrom != "Acme Partners <partners@acme.example>" {
			t.Errorf("%s: %+v %q", tc.url, c.SMTP, c.MailFrom)
		}
		if (tc.port == 587 || tc.port == 1025) && (c.SMTP.Username != "mailer" || c.SMTP.Password != "p@ss") {
			t.Errorf("credentials: %q %q", c.SMTP.Username, c.SMTP.Password)
		}
	}
}

// Each bad mail setting is named, and the error never repeats the SMTP
// password.
func TestMailInvalidValuesAreNamed(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"SMTP_URL", "http://mail.example:25"},
		{"SMTP_URL", "smtp://user:hunter2secret@:25"},
		{"SMTP_URL", "smtp://user:hunter2secret@mail.example:99999"},
		{"SMTP_URL", "smtp://mail.example:abc"},
		{"SMTP_URL", "smtp://mail.example:25/path"},
		{"SMTP_URL", "mail.example:25"},
		{"MAIL_FROM", "not an address"},
		{"MAIL_FROM", "a@b.example\r\nBcc: x@y.example"},
	} {
		_, err := config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", tc.name: tc.value}), t.TempDir(), quiet)
		if err == nil {
			t.Errorf("%s=%q accepted", tc.name, tc.value)
			continue
		}
		if !strings.Contains(err.Error(), tc.name+":") {
			t.Errorf("%s=%q: error does not name it: %v", tc.name, tc.value, err)
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("%s=%q: error shows the password: %v", tc.name, tc.value, err)
		}
	}
}

// SMTP credentials go over TLS (smtps://, or STARTTLS required with
// ?starttls=required), or in the clear only to a relay on this machine
// (localhost, 127.0.0.0/8, ::1: Go's net/smtp rule). Credentials that would
// cross a network unencrypted stop the server at start, with one line
// naming SMTP_URL and what to do, never the password.
func TestSMTPCredentialsWithoutTLSOnlyToLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"smtp://user:hunter2secret@127.0.0.1:1025", true},
		{"smtp://user:hunter2secret@127.8.9.10:1025", true},
		{"smtp://user:hunter2secret@localhost:1025", true},
		{"smtp://user:hunter2secret@LocalHost:1025", true},
		{"smtp://user:hunter2secret@[::1]:1025", true},
		{"smtps://user:hunter2secret@mail.example.com", true},
		{"smtp://user:hunter2secret@mail.example.com:587?starttls=required", true},
		{"smtp://mail.example.com:25", true}, // no credentials: nothing to protect
		{"smtp://user:hunter2secret@mail.example.com:587", false},
		{"smtp://user:hunter2secret@mail.example.com", false},
		{"smtp://user:hunter2secret@10.0.0.5:25", false},
		{"smtp://user:hunter2secret@[::ffff:127.0.0.1]:25", true}, // IPv4 loopback, written as IPv6
		{"smtp://user:hunter2secret@localhost.example.com:25", false},
		{"smtp://user@mail.example.com:25", false}, // a user without a password still authenticates
		{"smtp://user:hunter2secret@mail.example.com:587?starttls=maybe", false},
		{"smtps://user:hunter2secret@mail.example.com?starttls=required", false},
	} {
		_, err := config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", "SMTP_URL": tc.url}), t.TempDir(), quiet)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: accepted; the credentials would cross the network unencrypted", tc.url)
		case !tc.ok && (!strings.HasPrefix(err.Error(), "configuration: SMTP_URL: ") || strings.Count(err.Error(), "\n") > 0 ||
			strings.Contains(err.Error(), "hunter2secret")):
			t.Errorf("%s: %q, want one line naming SMTP_URL without the password", tc.url, err)
		}
	}
	_, err := config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", "SMTP_URL": "smtp://user:hunter2secret@mail.example.com:587"}), t.TempDir(), quiet)
	if err == nil || !strings.Contains(err.Error(), "smtps://") || !strings.Contains(err.Error(), "starttls=required") {
		t.Errorf("the refusal does not say what to do: %v", err)
	}
}
