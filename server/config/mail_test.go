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
		{"smtp://mailer:p%40ss@mail.example:587", "smtp://mailer@mail.example:587", 587, false},
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
		if tc.port == 587 && (c.SMTP.Username != "mailer" || c.SMTP.Password != "p@ss") {
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
