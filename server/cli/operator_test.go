package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/stripesync"
)

func TestStripeAppManifestCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := runner{t: t, env: map[string]string{}, dir: dir}
	code, out, errOut := r.run("stripe-app", "manifest", "--public-url", "https://track.example.com/", "--app-id", "com.example.tracklane", "--distribution", "public", "--version", "2.0.1")
	if code != 0 {
		t.Fatalf("manifest: %d %s", code, errOut)
	}
	if !strings.Contains(out, "stripe-app.json") || !strings.Contains(out, "stripe-app.local.json") {
		t.Errorf("output %q", out)
	}
	var m struct {
		ID        string            `json:"id"`
		Version   string            `json:"version"`
		Dist      string            `json:"distribution_type"`
		Sandbox   bool              `json:"sandbox_install_compatible"`
		Constants map[string]string `json:"constants"`
		UI        struct {
			CSP struct {
				ConnectSrc []string `json:"connect-src"`
			} `json:"content_security_policy"`
		} `json:"ui_extension"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "stripe-app.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != "com.example.tracklane" || m.Version != "2.0.1" || m.Dist != "public" || m.Sandbox ||
		m.Constants["API_BASE"] != "https://track.example.com" || !slices.Equal(m.UI.CSP.ConnectSrc, []string{"https://track.example.com/stripe-app/"}) {
		t.Errorf("release manifest: %s", data)
	}
	local, err := os.ReadFile(filepath.Join(dir, "stripe-app.local.json"))
	if err != nil || !strings.Contains(string(local), `"extends": "stripe-app.json"`) || !strings.Contains(string(local), "http://localhost:8080/stripe-app/") {
		t.Errorf("local manifest: %s %v", local, err)
	}

	// Regenerating keeps the version unless told otherwise.
	if code, _, errOut := r.run("stripe-app", "manifest", "--public-url", "https://other.example.com", "--app-id", "com.example.tracklane"); code != 0 {
		t.Fatalf("regenerate: %s", errOut)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "stripe-app.json"))
	if !strings.Contains(string(data), `"version": "2.0.1"`) || !strings.Contains(string(data), "https://other.example.com/stripe-app/") {
		t.Errorf("regenerated: %s", data)
	}

	// An http or localhost release URL is refused, and nothing is written.
	before, _ := os.ReadFile(filepath.Join(dir, "stripe-app.json"))
	for _, url := range []string{"http://track.example.com", "https://localhost:8080", "http://localhost:8080"} {
		code, out, errOut := r.run("stripe-app", "manifest", "--public-url", url, "--app-id", "com.example.tracklane")
		if code != 1 || out != "" || !strings.Contains(errOut, "--public-url") {
			t.Errorf("%s: %d %q %q", url, code, out, errOut)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "stripe-app.json")); string(after) != string(before) {
		t.Error("a refused run changed the manifest")
	}
	if code, _, errOut := r.run("stripe-app", "manifest", "--app-id", "x.y", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Errorf("unknown flag: %d %q", code, errOut)
	}
}

func TestStripeWebhooksCommand(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"PUBLIC_URL": "https://track.example.com/"}, dir: t.TempDir()}
	code, out, errOut := r.run("stripe", "webhooks", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("webhooks: %d %q", code, errOut)
	}
	var plan struct {
		APIVersion string `json:"api_version"`
		Endpoints  []struct {
			Mode       string `json:"mode"`
			URL        string `json:"url"`
			ListenTo   string `json:"listen_to"`
			Connect    bool   `json:"connect"`
			APIVersion string `json:"api_version"`
			SecretEnv  string `json:"secret_env"`
		} `json:"endpoints"`
		Events []string `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	// Per mode: its URL, both kinds of endpoint, each pinned to 2023-10-16.
	if plan.APIVersion != "2023-10-16" || len(plan.Endpoints) != 4 {
		t.Fatalf("plan %+v", plan)
	}
	for i, want := range []struct {
		mode, url, listen, env string
		connect                bool
	}{
		{"live", "https://track.example.com/stripe/webhook", "your_account", "STRIPE_WEBHOOK_SECRET", false},
		{"live", "https://track.example.com/stripe/webhook", "connected_accounts", "STRIPE_WEBHOOK_SECRET", true},
		{"test", "https://track.example.com/stripe/webhook/test", "your_account", "STRIPE_TEST_WEBHOOK_SECRET", false},
		{"test", "https://track.example.com/stripe/webhook/test", "connected_accounts", "STRIPE_TEST_WEBHOOK_SECRET", true},
	} {
		e := plan.Endpoints[i]
		if e.Mode != want.mode || e.URL != want.url || e.ListenTo != want.listen || e.Connect != want.connect ||
			e.SecretEnv != want.env || e.APIVersion != "2023-10-16" {
			t.Errorf("endpoint %d: %+v, want %+v", i, e, want)
		}
	}
	if !slices.Equal(plan.Events, stripesync.WebhookEventTypes()) {
		t.Errorf("events %v, want the sync's %v", plan.Events, stripesync.WebhookEventTypes())
	}
	// Every type a check reads, the uninstall, and the types of SPEC 13.
	for _, want := range append(slices.Clone(stripesync.EventTypes), "account.application.deauthorized",
		"invoice.paid", "charge.succeeded", "charge.refunded", "charge.dispute.created", "charge.dispute.closed", "customer.subscription.deleted", "checkout.session.completed",
		"charge.captured", "charge.refund.updated", "credit_note.created", "credit_note.voided", "invoice_payment.paid") {
		if !slices.Contains(plan.Events, want) {
			t.Errorf("event %s missing", want)
		}
	}
	if files, _ := os.ReadDir(r.dir); len(files) != 0 {
		t.Errorf("webhooks wrote files: %v", files)
	}

	code, out, _ = r.run("stripe", "webhooks")
	if code != 0 || !strings.Contains(out, "Events on Connected accounts") || !strings.Contains(out, "Events on your account") ||
		!strings.Contains(out, "STRIPE_TEST_WEBHOOK_SECRET, comma-separated") || !strings.Contains(out, "API version: 2023-10-16") ||
		!strings.Contains(out, "test mode: https://track.example.com/stripe/webhook/test\n") || !strings.Contains(out, "  invoice.paid\n") {
		t.Errorf("text: %d %s", code, out)
	}
	r.env["PUBLIC_URL"] = "http://localhost:8080"
	if code, _, errOut := r.run("stripe", "webhooks"); code != 0 || !strings.Contains(errOut, "not https") {
		t.Errorf("http warning: %d %q", code, errOut)
	}
	r.env["PUBLIC_URL"] = "ftp://x"
	if code, _, errOut := r.run("stripe", "webhooks"); code != 1 || !strings.Contains(errOut, "PUBLIC_URL") {
		t.Errorf("bad PUBLIC_URL: %d %q", code, errOut)
	}
}

// In a checkout the manifest command leaves the tracked manifests alone
// (they are the template, so `git pull` never meets a local change) and
// assembles the operator's app project in build/stripe-app; the local
// manifest points at PUBLIC_URL.
func TestStripeAppManifestLeavesTheCheckoutAlone(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	files := map[string]string{
		"stripe-app.json":                    `{"id":"com.example.template","version":"0.0.1"}`,
		"stripe-app.local.json":              `{"extends":"stripe-app.json"}`,
		"stripe-app/package.json":            `{"name":"app"}`,
		"stripe-app/icon.png":                "png",
		"stripe-app/src/views/App.tsx":       "export {}",
		"stripe-app/node_modules/x/index.js": "installed",
	}
	for name, body := range files {
		path := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runner{t: t, env: map[string]string{"PUBLIC_URL": "http://localhost:9001"}, dir: repo}
	run := func(version string) string {
		t.Helper()
		args := []string{"stripe-app", "manifest", "--public-url", "https://track.example.com", "--app-id", "com.example.tracklane"}
		if version != "" {
			args = append(args, "--version", version)
		}
		code, out, errOut := r.run(args...)
		if code != 0 {
			t.Fatalf("manifest: %d %s", code, errOut)
		}
		return out
	}
	out := run("3.1.0")
	if !strings.Contains(out, "cd build/stripe-app && npm ci && stripe apps upload") {
		t.Errorf("output does not say where the app project is: %q", out)
	}
	for _, name := range []string{"stripe-app.json", "stripe-app.local.json"} {
		if got, _ := os.ReadFile(filepath.Join(repo, name)); string(got) != files[name] {
			t.Errorf("the tracked %s changed: %s", name, got)
		}
	}
	build := filepath.Join(repo, "build", "stripe-app")
	release, err := os.ReadFile(filepath.Join(build, "stripe-app.json"))
	if err != nil || !strings.Contains(string(release), `"id": "com.example.tracklane"`) || !strings.Contains(string(release), `"version": "3.1.0"`) {
		t.Errorf("the operator's release manifest: %s %v", release, err)
	}
	local, err := os.ReadFile(filepath.Join(build, "stripe-app.local.json"))
	if err != nil || !strings.Contains(string(local), "http://localhost:9001/stripe-app/") {
		t.Errorf("the local manifest does not follow PUBLIC_URL: %s %v", local, err)
	}
	for name, want := range map[string]bool{"src/views/App.tsx": true, "icon.png": true, "package.json": true, "node_modules": false} {
		if _, err := os.Stat(filepath.Join(build, name)); (err == nil) != want {
			t.Errorf("build/stripe-app/%s: present %v, want %v", name, err == nil, want)
		}
	}
	// Regenerating after an upgrade keeps the operator's version.
	run("")
	if again, _ := os.ReadFile(filepath.Join(build, "stripe-app.json")); !strings.Contains(string(again), `"version": "3.1.0"`) {
		t.Errorf("regenerating lost the version: %s", again)
	}
}
