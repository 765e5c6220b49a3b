package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tracklane/tracklane/server/tracklane"
)

// SMTPSettings is a parsed SMTP_URL: smtp://[user:pass@]host[:port]
// (STARTTLS when the server offers it; port 25 by default) or
// smtps://[user:pass@]host[:port] (TLS from the start; port 465).
type SMTPSettings struct {
	Host        string
	Port        int
	ImplicitTLS bool // smtps://
	Username    string
	Password    string // never logged; String leaves it out
}

// ParseSMTPURL reads an SMTP_URL. The error says what is wrong without
// repeating the URL (it may hold a password).
func ParseSMTPURL(raw string) (SMTPSettings, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return SMTPSettings{}, errors.New("is not a URL (want smtp://[user:pass@]host:port or smtps://…)")
	}
	var s SMTPSettings
	switch u.Scheme {
	case "smtp":
		s.Port = 25
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return SMTPSettings{}, fmt.Errorf("scheme must be smtp or smtps, got %q", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return SMTPSettings{}, errors.New("has no host (want smtp://[user:pass@]host:port)")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPSettings{}, fmt.Errorf("port must be 1-65535, got %q", p)
		}
		s.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return SMTPSettings{}, errors.New("has an empty port")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return SMTPSettings{}, errors.New("must be only scheme, credentials, host and port")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// String is the server's address for logs: scheme, user and host, never
// the password.
func (s SMTPSettings) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: s.Host + ":" + strconv.Itoa(s.Port)}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String()
}

// SMTP hands mail to an SMTP server through go-mail (STARTTLS negotiation,
// authentication, MIME multipart and header encoding are its job).
type SMTP struct {
	settings SMTPSettings
	from     *netmail.Address
	domain   string // of the From address: the right-hand side of Message-IDs
	timeout  time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA);
	// nil verifies the server's certificate against the system roots.
	TLSConfig *tls.Config
}

// NewSMTP makes the transport. from is MAIL_FROM (`Name <addr>` or a bare
// address); timeout bounds connecting and each SMTP command.
func NewSMTP(settings SMTPSettings, from string, timeout time.Duration) (*SMTP, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	return &SMTP{settings: settings, from: addr, domain: domain, timeout: timeout}, nil
}

// MessageID is the Message-ID header value of outbox row o (without the
// angle brackets): made from the row's id and creation time, so a mail
// sent again after a crash between the server's acceptance and the row
// being marked sent carries the same id, and receivers can tell it is a
// repeat.
func MessageID(o Outgoing, domain string) string {
	return fmt.Sprintf("tracklane.%d.%d@%s", o.ID, o.CreatedAt.UnixMicro(), domain)
}

// Send delivers o in one SMTP session. A message that cannot be built (a
// malformed recipient) is a Permanent error: no retry can fix it.
func (t *SMTP) Send(ctx context.Context, o Outgoing) error {
	msg, err := t.build(o)
	if err != nil {
		return Permanent(err)
	}
	opts := []gomail.Option{gomail.WithPort(t.settings.Port), gomail.WithTimeout(t.timeout)}
	if t.settings.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if t.settings.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.settings.Username), gomail.WithPassword(t.settings.Password))
	}
	if t.TLSConfig != nil {
		tc := t.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = t.settings.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	c, err := gomail.NewClient(t.settings.Host, opts...)
	if err != nil {
		return Permanent(fmt.Errorf("configuring the SMTP client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("SMTP %s:%d: %w", t.settings.Host, t.settings.Port, err)
	}
	return nil
}

// build makes the MIME message: plain text, and HTML as its alternative
// when there is one.
func (t *SMTP) build(o Outgoing) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(t.from)
	if err := m.To(o.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", o.To, err)
	}
	m.Subject(tracklane.CleanName(o.Subject))
	m.SetMessageIDWithValue(MessageID(o, t.domain))
	m.SetDateWithValue(o.CreatedAt)
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, o.Text)
	if o.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, o.HTML)
	}
	return m, nil
}
