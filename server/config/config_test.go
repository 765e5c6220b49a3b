package config_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/config"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	c, err := config.Load(env(nil), dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.PublicURL != "http://localhost:8080" || c.DatabaseURL != config.DefaultDatabaseURL ||
		c.SyncInterval != time.Hour || c.TrackingRateLimit != 50 || len(c.TrustedProxies) != 0 {
		t.Errorf("defaults: %+v", c)
	}
	// The generated secret is kept, private, and reused.
	st, err := os.Stat(filepath.Join(dir, config.SecretFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st, err)
	}
	again, err := config.Load(env(nil), dir, quiet)
	if err != nil || string(again.SecretKey) != string(c.SecretKey) || !again.SecretGenerated {
		t.Errorf("the generated secret was not reused")
	}
	if string(c.Key("csrf")) == string(c.Key("cookie")) {
		t.Error("derived keys of different purposes are equal")
	}
}

func TestValues(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"SECRET_KEY": "0123456789abcdef0123", "PUBLIC_URL": "https://track.example/", "SYNC_INTERVAL": "90s",
		"TRACKING_RATE_LIMIT": "0", "TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1", "STRIPE_API_BASE": "http://127.0.0.1:12111/",
	}), t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://track.example" || !c.Secure() || c.SyncInterval != 90*time.Second || c.TrackingRateLimit != 0 ||
		len(c.TrustedProxies) != 2 || c.StripeAPIBase != "http://127.0.0.1:12111" || c.SecretGenerated {
		t.Errorf("values: %+v", c)
	}
}

func TestInvalidValuesAreNamed(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"SECRET_KEY": "short", "PUBLIC_URL": "localhost:8080", "SYNC_INTERVAL": "500ms", "TRACKING_RATE_LIMIT": "-1",
		"TRUSTED_PROXIES": "not-a-cidr", "DATABASE_URL": "mysql://x", "STRIPE_API_BASE": "nope",
	}), t.TempDir(), quiet)
	if err == nil {
		t.Fatal("accepted a broken configuration")
	}
	for _, name := range []string{"SECRET_KEY", "PUBLIC_URL", "SYNC_INTERVAL", "TRACKING_RATE_LIMIT", "TRUSTED_PROXIES", "DATABASE_URL", "STRIPE_API_BASE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// An existing tracklane.secret that other users can read is used, with a
// warning that says how to fix it.
func TestSecretFileReadableByOthersIsWarnedAbout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, config.SecretFile)
	if err := os.WriteFile(path, []byte("0123456789abcdef0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	var logs strings.Builder
	c, err := config.Load(env(nil), dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || string(c.SecretKey) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("load: %v", err)
	}
	if !strings.Contains(logs.String(), "readable by other users") || !strings.Contains(logs.String(), "chmod 600") {
		t.Errorf("no warning about the file's mode; logs:\n%s", logs.String())
	}
	// A private file gets no such warning.
	os.Chmod(path, 0o600)
	logs.Reset()
	config.Load(env(nil), dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if strings.Contains(logs.String(), "readable by other users") {
		t.Errorf("warned about a private file:\n%s", logs.String())
	}
}

// Each problem is its own entry (the server prints one line each), names
// its variable, and holds no line break of its own.
func TestProblemsOnePerVariable(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"PUBLIC_URL": "localhost:8080", "SYNC_INTERVAL": "500ms", "TRACKING_RATE_LIMIT": "-1",
	}), t.TempDir(), quiet)
	var problems config.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not config.Problems", err)
	}
	want := []string{"PUBLIC_URL", "SYNC_INTERVAL", "TRACKING_RATE_LIMIT"}
	if len(problems) != len(want) {
		t.Fatalf("problems %q, want one each for %v", problems, want)
	}
	for i, p := range problems {
		if !strings.HasPrefix(p, want[i]+": ") || strings.ContainsAny(p, "\r\n") {
			t.Errorf("problem %q: want one line starting with %s", p, want[i])
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Error() spans lines: %q", err.Error())
	}
}

// Loading the configuration says nothing about a generated secret: only
// the server warns about it, not every provisioning command.
func TestLoadDoesNotWarnAboutTheGeneratedSecret(t *testing.T) {
	var logged strings.Builder
	c, err := config.Load(env(nil), t.TempDir(), slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecretGenerated {
		t.Error("SecretGenerated is false for a generated secret")
	}
	if logged.Len() > 0 {
		t.Errorf("Load logged %q", logged.String())
	}
}

func TestDatabaseDisplayHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db.example:5432/tracklane?sslmode=require": "postgres://app@db.example:5432/tracklane?sslmode=require",
		"postgres://db.example/tracklane?password=s3cret&sslmode=disable": "postgres://db.example/tracklane?sslmode=disable",
		"postgres://postgres@127.0.0.1:5432/tracklane?sslmode=disable":    "postgres://postgres@127.0.0.1:5432/tracklane?sslmode=disable",
	} {
		c, err := config.Load(env(map[string]string{"DATABASE_URL": in, "SECRET_KEY": "0123456789abcdef0123"}), t.TempDir(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.DatabaseDisplay(); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("DatabaseDisplay(%s) = %s, want %s", in, got, want)
		}
	}
}

// The example environment file's placeholders are refused in every
// variable that holds a secret, each named on its own line; the file
// itself (copied unchanged) does not start.
func TestPlaceholderSecretsAreRefused(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "deploy", "tracklane.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(example), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			vars[k] = v
		}
	}
	_, err = config.Load(env(vars), t.TempDir(), quiet)
	var problems config.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("the example file unchanged started: %v", err)
	}
	for _, name := range []string{"DATABASE_URL", "SECRET_KEY", "STRIPE_APP_SECRET", "STRIPE_SECRET_KEY",
		"STRIPE_TEST_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_TEST_WEBHOOK_SECRET"} {
		found := false
		for _, p := range problems {
			found = found || (strings.HasPrefix(p, name+": ") && strings.Contains(p, "placeholder"))
		}
		if !found {
			t.Errorf("%s=%s is not refused as a placeholder: %v", name, vars[name], problems)
		}
	}
	for _, v := range []string{"sk_test_change-me", "smtp://u:Change-Me@mail.example.com:587"} {
		name := "STRIPE_TEST_SECRET_KEY"
		if strings.HasPrefix(v, "smtp") {
			name = "SMTP_URL"
		}
		if _, err := config.Load(env(map[string]string{name: v}), t.TempDir(), quiet); err == nil || !strings.Contains(err.Error(), name+": ") {
			t.Errorf("%s=%s accepted: %v", name, v, err)
		}
	}
	// A real-looking value is accepted.
	if _, err := config.Load(env(map[string]string{"STRIPE_TEST_SECRET_KEY": "sk_test_51Habc"}), t.TempDir(), quiet); err != nil {
		t.Errorf("a real key refused: %v", err)
	}
}

// SIGNUP is first by default, takes open and closed, and refuses anything
// else naming the variable.
func TestSignupSetting(t *testing.T) {
	for v, want := range map[string]string{"": config.SignupFirst, "first": config.SignupFirst, "open": config.SignupOpen, "closed": config.SignupClosed} {
		c, err := config.Load(env(map[string]string{"SIGNUP": v}), t.TempDir(), quiet)
		if err != nil || c.Signup != want {
			t.Errorf("SIGNUP=%q: %q %v; want %q", v, c.Signup, err, want)
		}
	}
	if _, err := config.Load(env(map[string]string{"SIGNUP": "everyone"}), t.TempDir(), quiet); err == nil || !strings.Contains(err.Error(), "SIGNUP: ") {
		t.Errorf("SIGNUP=everyone accepted: %v", err)
	}
}

// Each webhook URL takes a comma-separated list of signing secrets (an
// account endpoint and a Connect endpoint, or a secret being rolled):
// spaces and empty entries are dropped; an entry that is not a whsec_ is
// kept and warned about by its place, never by its value.
func TestWebhookSecretLists(t *testing.T) {
	var logs strings.Builder
	c, err := config.Load(env(map[string]string{
		"SECRET_KEY":                 "0123456789abcdef0123",
		"STRIPE_WEBHOOK_SECRET":      " whsec_account , whsec_connect,,",
		"STRIPE_TEST_WEBHOOK_SECRET": "whsec_only",
	}), t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.StripeWebhookSecrets, "|") != "whsec_account|whsec_connect" || strings.Join(c.StripeTestWebhookSecrets, "|") != "whsec_only" {
		t.Errorf("live %q, test %q", c.StripeWebhookSecrets, c.StripeTestWebhookSecrets)
	}
	if logs.Len() != 0 {
		t.Errorf("warned about good secrets:\n%s", logs.String())
	}

	c, err = config.Load(env(map[string]string{"SECRET_KEY": "0123456789abcdef0123", "STRIPE_TEST_WEBHOOK_SECRET": "whsec_a,sk_test_oops"}),
		t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || len(c.StripeTestWebhookSecrets) != 2 || len(c.StripeWebhookSecrets) != 0 {
		t.Fatalf("load: %v %+v", err, c.StripeTestWebhookSecrets)
	}
	if !strings.Contains(logs.String(), "STRIPE_TEST_WEBHOOK_SECRET") || !strings.Contains(logs.String(), "entry=2") || strings.Contains(logs.String(), "oops") {
		t.Errorf("warning:\n%s", logs.String())
	}
}
