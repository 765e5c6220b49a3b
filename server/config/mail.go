package config

import (
	netmail "net/mail"
	"net/url"
	"strings"

	"github.com/tracklane/tracklane/server/mail"
)

// loadMail reads SMTP_URL and MAIL_FROM into c. SMTP credentials that
// would cross a network unencrypted stop the server here, at start,
// rather than fail every mail later (mail.SMTPSettings.CheckCredentials).
func loadMail(c *Config, getenv func(string) string, bad func(name, format string, args ...any)) {
	if v := strings.TrimSpace(getenv("SMTP_URL")); v != "" {
		s, err := mail.ParseSMTPURL(v)
		if err == nil {
			err = s.CheckCredentials()
		}
		if err != nil {
			bad("SMTP_URL", "%v", err)
		} else {
			c.SMTP, c.MailConfigured = s, true
		}
	}
	from := strings.TrimSpace(getenv("MAIL_FROM"))
	if from == "" {
		from = defaultMailFrom(c.PublicURL)
	}
	_, err := netmail.ParseAddress(from)
	if err != nil || strings.ContainsAny(from, "\r\n") {
		bad("MAIL_FROM", "must be an address like no-reply@example.com or Name <no-reply@example.com>, got %q", from)
		return
	}
	c.MailFrom = from
}

// defaultMailFrom is Tracklane <no-reply@HOST>, HOST being PUBLIC_URL's
// host name (without its port).
func defaultMailFrom(publicURL string) string {
	host := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	if strings.Contains(host, ":") { // an IPv6 literal
		host = "[" + host + "]"
	}
	return "Tracklane <no-reply@" + host + ">"
}
