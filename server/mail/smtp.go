package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tracklane/tracklane/server/oneline"
)

// SMTPSettings is a parsed SMTP_URL: smtp://[user:pass@]host[:port]
// (STARTTLS when the server offers it; port 25 by default; with
// ?starttls=required, STARTTLS or nothing) or
// smtps://[user:pass@]host[:port] (TLS from the start; port 465).
//
// Credentials travel over TLS, or in the clear only to a relay on this
// machine (Loopback), as Go's net/smtp allows: CheckCredentials says
// whether the settings keep that rule.
type SMTPSettings struct {
	Host            string
	Port            int
	ImplicitTLS     bool // smtps://
	RequireSTARTTLS bool // smtp://…?starttls=required
	Username        string
	Password        string // never logged; String leaves it out
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
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return SMTPSettings{}, errors.New("must be only scheme, credentials, host and port (and ?starttls=required)")
	}
	switch u.RawQuery {
	case "":
	case "starttls=required":
		if s.ImplicitTLS {
			return SMTPSettings{}, errors.New("?starttls=required is for smtp://; smtps:// speaks TLS from the start")
		}
		s.RequireSTARTTLS = true
	default:
		return SMTPSettings{}, errors.New("takes no query but ?starttls=required")
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
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	if s.RequireSTARTTLS {
		u.RawQuery = "starttls=required"
	}
	return u.String()
}

// Loopback reports whether the server is on this machine by its address
// as written, Go's net/smtp rule: localhost, 127.0.0.0/8 or ::1 (an
// IPv4-mapped 127.x too). Names are not resolved: one that resolves to
// loopback today may not tomorrow.
func (s SMTPSettings) Loopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(s.Host)
	return err == nil && a.Unmap().IsLoopback()
}

// tlsGuaranteed reports whether every session is encrypted before any
// command but EHLO: TLS from the start, or STARTTLS required.
func (s SMTPSettings) tlsGuaranteed() bool { return s.ImplicitTLS || s.RequireSTARTTLS }

// CheckCredentials returns an error, for the person configuring SMTP_URL,
// when credentials would cross a network unencrypted: a user without
// smtps://, ?starttls=required or a loopback server. The error names the
// host, never the password.
func (s SMTPSettings) CheckCredentials() error {
	if s.Username == "" || s.tlsGuaranteed() || s.Loopback() {
		return nil
	}
	return fmt.Errorf("credentials would be sent to %s without TLS: use smtps:// (TLS from the start), "+
		"add ?starttls=required if the server offers STARTTLS, or send through a relay on this machine (localhost, 127.0.0.0/8, ::1)", s.Host)
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
// address); timeout bounds connecting and each SMTP command. Settings
// that would send credentials unencrypted to another machine are refused
// (CheckCredentials).
func NewSMTP(settings SMTPSettings, from string, timeout time.Duration) (*SMTP, error) {
	if err := settings.CheckCredentials(); err != nil {
		return nil, err
	}
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
	c, err := gomail.NewClient(t.settings.Host, t.options()...)
	if err != nil {
		return Permanent(fmt.Errorf("configuring the SMTP client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("SMTP %s:%d: %w", t.settings.Host, t.settings.Port, err)
	}
	return nil
}

// loopbackMechanisms are the authentication mechanisms offered to a relay
// on this machine, best first. go-mail's discovery offers PLAIN and LOGIN
// only over TLS, so a loopback relay without TLS (Mailpit, a local
// Postfix) would get no credentials at all; the -NOENC variants send them
// whether or not STARTTLS happened, which on loopback exposes nothing.
var loopbackMechanisms = []gomail.SMTPAuthType{gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
	gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}

// options are go-mail's settings for one session: TLS from the start,
// STARTTLS required, or STARTTLS when offered; credentials after TLS (the
// mechanism go-mail's discovery picks), or to a loopback relay with a
// mechanism chosen here (NewSMTP refused anything else).
func (t *SMTP) options() []gomail.Option {
	s := t.settings
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(t.timeout)}
	switch {
	case s.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case s.RequireSTARTTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
		if s.tlsGuaranteed() {
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		} else {
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(loopbackMechanisms...))
		}
	}
	switch {
	case t.TLSConfig != nil:
		tc := t.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	case s.Loopback() && !s.tlsGuaranteed():
		// A local relay's STARTTLS usually shows a self-signed
		// certificate (Debian's Postfix: "snakeoil"); on loopback a
		// certificate proves nothing a local process could not fake, and
		// refusing it would stop all mail.
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: s.Host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}))
	}
	return opts
}

// build makes the MIME message: plain text, and HTML as its alternative
// when there is one.
func (t *SMTP) build(o Outgoing) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(t.from)
	if err := m.To(o.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", o.To, err)
	}
	m.Subject(oneline.Clean(o.Subject))
	m.SetMessageIDWithValue(MessageID(o, t.domain))
	m.SetDateWithValue(o.CreatedAt)
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, o.Text)
	if o.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, o.HTML)
	}
	return m, nil
}
