// Package config turns the environment into a validated, typed Config. The
// Config is passed to whoever needs it; nothing reads the environment later.
package config

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/mail"
)

// DefaultDatabaseURL is used when DATABASE_URL is unset; the database is
// created on start if it does not exist.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/tracklane?sslmode=disable"

// SecretFile is where a generated SECRET_KEY is kept when none is set.
const SecretFile = "tracklane.secret"

// Config is everything the server reads from its environment.
type Config struct {
	DatabaseURL string
	Addr        string
	PublicURL   string // no trailing slash

	// SecretKey keys cookies, CSRF tokens, encryption and IP hashing. Use
	// Key(purpose) rather than the raw bytes.
	SecretKey []byte

	StripeAppSecret     string // absec_…; empty → Stripe App endpoints answer 503
	StripeSecretKey     string // platform key for live-mode installs
	StripeTestSecretKey string // platform key for test-mode installs
	StripeAPIBase       string // empty → Stripe's own
	SyncInterval        time.Duration
	TrackingRateLimit   float64 // requests/s per IP; 0 = off
	TrustedProxies      []netip.Prefix
	MetricsAddr         string // METRICS_ADDR: where GET /metrics listens; empty → no metrics
	SecretGenerated     bool   // true when SecretKey came from (or was written to) SecretFile
	// Signup is SIGNUP: who may create a tenant in the browser (SignupFirst,
	// SignupOpen or SignupClosed). `tenant create` on the CLI always works.
	Signup string

	// StripeWebhookSecrets and StripeTestWebhookSecrets are the signing
	// secrets (whsec_…) of POST /stripe/webhook and /stripe/webhook/test:
	// one per Stripe endpoint sending there (your account's, the Connect
	// one), or two while one is rolled. Empty → that endpoint answers 503.
	StripeWebhookSecrets     []string
	StripeTestWebhookSecrets []string

	// Mail (SPEC section 7; see mail.go). SMTP holds SMTP_URL's password:
	// log SMTP.String(), never the settings themselves.
	SMTP           mail.SMTPSettings
	MailFrom       string // MAIL_FROM, or Tracklane <no-reply@HOST of PUBLIC_URL>
	MailConfigured bool   // SMTP_URL is set; unset → mails are logged and invitation links shown
}

// Key derives a 32-byte key for one purpose ("cookie", "csrf", "visitor", …)
// from the secret key, so that no two uses share a key.
func (c Config) Key(purpose string) []byte {
	m := hmac.New(sha256.New, c.SecretKey)
	m.Write([]byte("tracklane/" + purpose))
	return m.Sum(nil)
}

// Secure reports whether the public URL is https (cookies get Secure).
func (c Config) Secure() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// DatabaseDisplay is DATABASE_URL without its password, for telling the
// operator which database is used.
func (c Config) DatabaseDisplay() string {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "(unreadable DATABASE_URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// The values of SIGNUP.
const (
	// SignupFirst allows a browser sign-up only while the instance has no
	// tenant: the person who installed it makes the first account, and
	// nobody after them (the default: one server, one business).
	SignupFirst = "first"
	// SignupOpen lets anyone create a tenant (a hosted instance for many
	// merchants).
	SignupOpen = "open"
	// SignupClosed allows no sign-up in the browser.
	SignupClosed = "closed"
)

// Problems is the error Load returns: every problem found in the
// environment, one entry each, each naming its variable. Show them one per
// line (Error joins them on one line, for logs that want a single record).
type Problems []string

func (p Problems) Error() string { return "configuration: " + strings.Join(p, "; ") }

// Load reads the configuration. getenv is usually os.Getenv; dir is where
// tracklane.secret lives (the working directory). Problems are reported
// together as Problems. Load writes no warning about a generated secret key:
// the server does (SecretGenerated), not every command that reads the
// configuration.
func Load(getenv func(string) string, dir string, log *slog.Logger) (Config, error) {
	c := Config{
		DatabaseURL:         or(getenv("DATABASE_URL"), DefaultDatabaseURL),
		Addr:                or(getenv("ADDR"), ":8080"),
		PublicURL:           publicURL(getenv),
		StripeAppSecret:     getenv("STRIPE_APP_SECRET"),
		StripeSecretKey:     getenv("STRIPE_SECRET_KEY"),
		StripeTestSecretKey: getenv("STRIPE_TEST_SECRET_KEY"),
		StripeAPIBase:       strings.TrimRight(getenv("STRIPE_API_BASE"), "/"),
	}
	var problems Problems
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}

	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("DATABASE_URL", "must be a postgres:// URL")
	}
	if err := checkPublicURL(c.PublicURL); err != nil {
		bad("PUBLIC_URL", "%v", err)
	}
	if c.StripeAPIBase != "" {
		if u, err := url.Parse(c.StripeAPIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("STRIPE_API_BASE", "must be an absolute http(s) URL, got %q", c.StripeAPIBase)
		}
	}
	if c.StripeAppSecret != "" && !strings.HasPrefix(c.StripeAppSecret, "absec_") {
		log.Warn("STRIPE_APP_SECRET does not start with absec_; is it the app's signing secret?")
	}
	c.StripeWebhookSecrets = webhookSecrets("STRIPE_WEBHOOK_SECRET", getenv, log)
	c.StripeTestWebhookSecrets = webhookSecrets("STRIPE_TEST_WEBHOOK_SECRET", getenv, log)

	c.SyncInterval = time.Hour
	if v := getenv("SYNC_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("SYNC_INTERVAL", "not a duration (e.g. 1h, 15m, 30s): %q", v)
		case d < time.Second:
			bad("SYNC_INTERVAL", "must be at least 1s, got %s", d)
		default:
			c.SyncInterval = d
		}
	}

	c.TrackingRateLimit = 50
	if v := getenv("TRACKING_RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != f {
			bad("TRACKING_RATE_LIMIT", "must be a number of requests per second ≥ 0, got %q", v)
		} else {
			c.TrackingRateLimit = f
		}
	}

	c.TrustedProxies = trustedProxies(getenv("TRUSTED_PROXIES"), bad)

	switch v := strings.TrimSpace(getenv("SIGNUP")); v {
	case "":
		c.Signup = SignupFirst
	case SignupFirst, SignupOpen, SignupClosed:
		c.Signup = v
	default:
		bad("SIGNUP", "must be first (only while the instance has no tenant), open or closed, got %q", v)
	}

	if v := strings.TrimSpace(getenv("METRICS_ADDR")); v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			bad("METRICS_ADDR", "must be host:port, e.g. 127.0.0.1:9471, got %q", v)
		} else if v == c.Addr {
			bad("METRICS_ADDR", "must differ from ADDR (%s): metrics are never served on the public listener", c.Addr)
		} else {
			c.MetricsAddr = v
		}
	}

	loadMail(&c, getenv, bad)

	for _, name := range secretVariables {
		if isPlaceholder(getenv(name)) {
			bad(name, "still holds the example's placeholder (CHANGE-ME): put the real value in, or unset it")
		}
	}

	c.SecretKey, c.SecretGenerated = secretKey(getenv("SECRET_KEY"), dir, bad, log)

	if len(problems) > 0 {
		return Config{}, problems
	}
	return c, nil
}

// PublicURL reads PUBLIC_URL alone (no trailing slash), for operator
// commands that need nothing else (and must not create tracklane.secret).
func PublicURL(getenv func(string) string) (string, error) {
	u := publicURL(getenv)
	if err := checkPublicURL(u); err != nil {
		return "", fmt.Errorf("PUBLIC_URL: %w", err)
	}
	return u, nil
}

func publicURL(getenv func(string) string) string {
	return strings.TrimRight(or(getenv("PUBLIC_URL"), "http://localhost:8080"), "/")
}

func checkPublicURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http(s) URL, got %q", v)
	}
	return nil
}

// trustedProxies parses TRUSTED_PROXIES: comma-separated CIDRs or single
// addresses.
func trustedProxies(v string, bad func(name, format string, args ...any)) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range strings.Split(strings.TrimSpace(v), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				bad("TRUSTED_PROXIES", "%q is not a CIDR", s)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// secretVariables are the variables that hold a secret (or a URL with a
// password in it): a value still holding the example file's placeholder is
// refused, so a copied deploy/tracklane.env.example cannot start with a
// key that every reader of the repository knows.
var secretVariables = []string{"DATABASE_URL", "SECRET_KEY", "STRIPE_APP_SECRET", "STRIPE_SECRET_KEY",
	"STRIPE_TEST_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_TEST_WEBHOOK_SECRET", "SMTP_URL"}

// isPlaceholder reports whether v holds the placeholder of
// deploy/tracklane.env.example (CHANGE-ME, in any case).
func isPlaceholder(v string) bool {
	return strings.Contains(strings.ToUpper(v), "CHANGE-ME")
}

// webhookSecrets reads a comma-separated list of webhook signing secrets
// (spaces around each and empty entries ignored). An entry that does not
// look like a signing secret is kept, with a warning naming its place in
// the list, never its value.
func webhookSecrets(name string, getenv func(string) string, log *slog.Logger) []string {
	var out []string
	for _, s := range strings.Split(getenv(name), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.HasPrefix(s, "whsec_") {
			log.Warn(name+": an entry does not start with whsec_; is it a webhook endpoint's signing secret?", "entry", len(out)+1)
		}
		out = append(out, s)
	}
	return out
}

// secretKey returns SECRET_KEY, or the generated key kept in dir
// (generated reports which).
func secretKey(v, dir string, bad func(name, format string, args ...any), log *slog.Logger) (key []byte, generated bool) {
	if v != "" {
		if len(v) < 16 {
			bad("SECRET_KEY", "must be at least 16 characters")
		}
		return []byte(v), false
	}
	path := filepath.Join(dir, SecretFile)
	key, err := loadOrCreateSecret(path)
	if err != nil {
		bad("SECRET_KEY", "unset, and %v", err)
		return nil, false
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		// Anyone who reads the key can forge sessions' CSRF tokens and undo
		// the IP hashing: say so, loudly, but keep serving.
		log.Warn(SecretFile+" is readable by other users of this machine; run chmod 600 on it (or set SECRET_KEY)",
			"path", path, "mode", st.Mode().Perm().String())
	}
	return key, true
}

// loadOrCreateSecret reads the secret file, or creates it (mode 0600) with
// 32 random bytes, hex-encoded.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 16 {
			return nil, fmt.Errorf("%s is too short; delete it to regenerate", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generating a secret: %w", err)
	}
	s := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return loadOrCreateSecret(path)
		}
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return []byte(s), nil
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}
