package appmanifest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/appmanifest"
	"github.com/tracklane/tracklane/server/stripesync"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the working directory")
		}
	}
}

func TestBuildFollowsTheURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, base string }{
		{"https://track.example.com", "https://track.example.com"},
		{"https://track.example.com/", "https://track.example.com"},
		{"https://Shop.Example.co.uk/tracklane/", "https://shop.example.co.uk/tracklane"},
		{"https://track.example.com:8443", "https://track.example.com:8443"},
	} {
		m, l, err := appmanifest.Build(appmanifest.Options{PublicURL: tc.url, AppID: "com.example.tracklane"})
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if m.Constants["API_BASE"] != tc.base || !slices.Equal(m.UIExtension.ContentSecurityPolicy.ConnectSrc, []string{tc.base + "/stripe-app/"}) {
			t.Errorf("%s: API_BASE %q connect-src %v", tc.url, m.Constants["API_BASE"], m.UIExtension.ContentSecurityPolicy.ConnectSrc)
		}
		if problems := appmanifest.CheckRelease(m); len(problems) > 0 {
			t.Errorf("%s: built manifest breaks the rules: %v", tc.url, problems)
		}
		if m.DistributionType != "private" || m.SandboxInstallCompatible || m.StripeAPIAccessType != "platform" || m.Name != "Tracklane" {
			t.Errorf("%s: defaults %+v", tc.url, m)
		}
		if l.Extends != "stripe-app.json" || l.Constants["API_BASE"] != "http://localhost:8080" ||
			!slices.Equal(l.UIExtension.ContentSecurityPolicy.ConnectSrc, []string{"http://localhost:8080/stripe-app/"}) {
			t.Errorf("%s: local manifest %+v", tc.url, l)
		}
	}
}

func TestBuildRefusesWhatStripeRefuses(t *testing.T) {
	t.Parallel()
	ok := appmanifest.Options{PublicURL: "https://track.example.com", AppID: "com.example.tracklane"}
	for _, tc := range []struct {
		name string
		edit func(*appmanifest.Options)
		want string
	}{
		{"http", func(o *appmanifest.Options) { o.PublicURL = "http://track.example.com" }, "must be https"},
		{"localhost", func(o *appmanifest.Options) { o.PublicURL = "https://localhost:8080" }, "localhost"},
		{"localhost http", func(o *appmanifest.Options) { o.PublicURL = "http://localhost:8080" }, "must be https"},
		{"sub.localhost", func(o *appmanifest.Options) { o.PublicURL = "https://app.localhost" }, "localhost"},
		{"ip", func(o *appmanifest.Options) { o.PublicURL = "https://203.0.113.7" }, "IP address"},
		{"private suffix", func(o *appmanifest.Options) { o.PublicURL = "https://tracklane.internal" }, "registrable"},
		{"bare suffix", func(o *appmanifest.Options) { o.PublicURL = "https://co.uk" }, "registrable"},
		{"no url", func(o *appmanifest.Options) { o.PublicURL = "" }, "--public-url is required"},
		{"query", func(o *appmanifest.Options) { o.PublicURL = "https://track.example.com/?x=1" }, "query"},
		{"no app id", func(o *appmanifest.Options) { o.AppID = "" }, "--app-id is required"},
		{"project id", func(o *appmanifest.Options) { o.AppID = "com.tracklane.affiliates" }, "project's own id"},
		{"bad chars", func(o *appmanifest.Options) { o.AppID = "com.example/tracklane" }, "may only hold"},
		{"not reverse domain", func(o *appmanifest.Options) { o.AppID = "tracklane" }, "reverse-domain"},
		{"distribution", func(o *appmanifest.Options) { o.Distribution = "marketplace" }, "private or public"},
		{"public name", func(o *appmanifest.Options) { o.Distribution = "public"; o.Name = "Tracklane App" }, `word "app"`},
		{"local url", func(o *appmanifest.Options) { o.LocalURL = "localhost:8080" }, "--local-url"},
	} {
		o := ok
		tc.edit(&o)
		_, _, err := appmanifest.Build(o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// A private app may be called anything.
	o := ok
	o.Name = "Acme's Stripe App"
	if _, _, err := appmanifest.Build(o); err != nil {
		t.Errorf("private app name: %v", err)
	}
}

// The committed manifests are what the command writes for the example
// values, so the schema tests of the app (jest) check the command's
// output, and the release manifest passes the upload rules.
func TestCommittedManifestsAreTheExample(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	m, l, err := appmanifest.Build(appmanifest.Example)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{appmanifest.ReleaseFile: m, appmanifest.LocalFile: l} {
		want, err := appmanifest.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from `go run ./server stripe-app manifest --public-url %s --app-id %s --version %s`:\n%s",
				name, appmanifest.Example.PublicURL, appmanifest.Example.AppID, appmanifest.Example.Version, got)
		}
	}
	var committed appmanifest.Manifest
	data, _ := os.ReadFile(filepath.Join(root, appmanifest.ReleaseFile))
	if err := json.Unmarshal(data, &committed); err != nil {
		t.Fatal(err)
	}
	if problems := appmanifest.CheckRelease(committed); len(problems) > 0 {
		t.Errorf("committed manifest breaks upload rules: %v", problems)
	}
	for _, link := range []string{"stripe-app.json", "stripe-app.local.json"} {
		target, err := os.Readlink(filepath.Join(root, "stripe-app", link))
		if err != nil || target != "../"+link {
			t.Errorf("stripe-app/%s should be a symlink to ../%s: %q %v", link, link, target, err)
		}
	}
}

func TestCheckReleaseCatchesEditedManifests(t *testing.T) {
	t.Parallel()
	base, _, err := appmanifest.Build(appmanifest.Example)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*appmanifest.Manifest)
		want string
	}{
		{"http connect-src", func(m *appmanifest.Manifest) {
			m.UIExtension.ContentSecurityPolicy.ConnectSrc = append(m.UIExtension.ContentSecurityPolicy.ConnectSrc, "http://localhost:8080/stripe-app/")
		}, "https URL with a path"},
		{"no path", func(m *appmanifest.Manifest) {
			m.UIExtension.ContentSecurityPolicy.ConnectSrc = []string{"https://tracklane.example.com"}
		}, "with a path"},
		{"API_BASE mismatch", func(m *appmanifest.Manifest) { m.Constants["API_BASE"] = "https://other.example.com" }, "must allow constants.API_BASE"},
		{"http API_BASE", func(m *appmanifest.Manifest) { m.Constants["API_BASE"] = "http://localhost:8080" }, "API_BASE"},
		{"no purpose", func(m *appmanifest.Manifest) { m.Permissions[0].Purpose = " " }, "has no purpose"},
		{"write permission", func(m *appmanifest.Manifest) {
			m.Permissions = append(m.Permissions, appmanifest.PermissionEntry{Permission: "customer_write", Purpose: "x"})
		}, "not read-only"},
		{"sandbox installs", func(m *appmanifest.Manifest) { m.SandboxInstallCompatible = true }, "sandbox_install_compatible must be false"},
		{"oauth", func(m *appmanifest.Manifest) { m.StripeAPIAccessType = "oauth" }, "platform"},
		{"project id", func(m *appmanifest.Manifest) { m.ID = appmanifest.ProjectAppID }, "project's own id"},
	} {
		m := base
		m.Constants = map[string]string{"API_BASE": base.Constants["API_BASE"]}
		m.Permissions = slices.Clone(base.Permissions)
		m.UIExtension.ContentSecurityPolicy.ConnectSrc = slices.Clone(base.UIExtension.ContentSecurityPolicy.ConnectSrc)
		tc.edit(&m)
		if problems := strings.Join(appmanifest.CheckRelease(m), "\n"); !strings.Contains(problems, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, problems, tc.want)
		}
	}
}

// Each permission is needed by a read the sync may make (SPEC §4, §10) or
// an event type it reads; each event type the webhooks carry (but the
// uninstall, which needs none) has its permission.
func TestPermissionsFollowTheReads(t *testing.T) {
	t.Parallel()
	allowed := []string{"/v1/events", "/v1/customers", "/v1/invoices", "/v1/charges", "/v1/refunds", "/v1/subscriptions",
		"/v1/checkout/sessions", "/v1/payment_intents", "/v1/disputes", "/v1/promotion_codes", "/v1/coupons", "/v1/credit_notes"}
	events := stripesync.WebhookEventTypes()
	byEvent := map[string]string{}
	for _, p := range appmanifest.Permissions {
		if len(p.Paths) == 0 && len(p.Events) == 0 {
			t.Errorf("%s: no read needs it", p.Name)
		}
		for _, path := range p.Paths {
			if !slices.Contains(allowed, path) {
				t.Errorf("%s: %s is not a read the sync may make", p.Name, path)
			}
		}
		for _, e := range p.Events {
			byEvent[e] = p.Name
		}
	}
	for _, e := range events {
		// An uninstall needs no permission; a type subscribed ahead of its
		// read gets its permission with the read.
		if e != stripesync.DeauthorizedEvent && byEvent[e] == "" {
			t.Errorf("event %s: no permission covers it", e)
		}
	}
	names := func() (out []string) {
		for _, p := range appmanifest.Permissions {
			out = append(out, p.Name)
		}
		return out
	}()
	// CLARIFICATIONS 2026-11-26: attribution beyond the email reads payment
	// intents' metadata, Checkout Sessions and promotion codes.
	for _, want := range []string{"payment_intent_read", "checkout_session_read", "promotion_code_read"} {
		if !slices.Contains(names, want) {
			t.Errorf("permission %s missing", want)
		}
	}
	for _, lag := range appmanifest.SchemaLag {
		if !slices.Contains(names, lag) {
			t.Errorf("SchemaLag names %s, which the app does not ask for", lag)
		}
	}
}
