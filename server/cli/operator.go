package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tracklane/tracklane/server/appmanifest"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/stripesync"
)

// Operator commands need no database: they describe how this server meets
// Stripe. Each returns the exit status.

// stripeAppManifest writes the release manifest and the local one
// (`stripe-app manifest --public-url … --app-id …`).
func stripeAppManifest(args []string, env Env) int {
	fs := newFlags("stripe-app manifest")
	var o appmanifest.Options
	fs.StringVar(&o.PublicURL, "public-url", "", "")
	fs.StringVar(&o.AppID, "app-id", "", "")
	fs.StringVar(&o.Name, "name", "", "")
	fs.StringVar(&o.Distribution, "distribution", "", "")
	fs.StringVar(&o.Version, "version", "", "")
	fs.StringVar(&o.LocalURL, "local-url", "", "")
	dir := fs.String("dir", "", "")
	if status, done := parseOperator(fs, args, env); done {
		return status
	}
	if o.LocalURL == "" {
		// The local manifest points at this server as it runs here.
		if u, err := config.PublicURL(env.Getenv); err == nil {
			o.LocalURL = u
		}
	}
	project := ""
	if *dir == "" {
		*dir = env.Dir
		if isRepository(env.Dir) {
			// In a checkout the tracked manifest is the template: the
			// operator's manifests go to an app project of their own, so
			// that upgrading (git pull) never meets a changed tracked file.
			project = filepath.Join(env.Dir, appBuildDir)
			*dir = project
		}
	}
	if o.Version == "" {
		o.Version = currentVersion(filepath.Join(*dir, appmanifest.ReleaseFile))
	}
	release, local, err := appmanifest.Build(o)
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %v\n", err)
		return 1
	}
	if project != "" {
		if err := copyAppProject(filepath.Join(env.Dir, "stripe-app"), project); err != nil {
			fmt.Fprintf(env.Stderr, "error: preparing %s: %v\n", project, err)
			return 1
		}
	}
	for name, v := range map[string]any{appmanifest.ReleaseFile: release, appmanifest.LocalFile: local} {
		data, err := appmanifest.Encode(v)
		if err == nil {
			err = os.WriteFile(filepath.Join(*dir, name), data, 0o644)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "error: writing %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stdout, "wrote %s (release: %s, API_BASE %s, %s distribution, version %s)\n",
		filepath.Join(*dir, appmanifest.ReleaseFile), release.ID, release.Constants["API_BASE"], release.DistributionType, release.Version)
	fmt.Fprintf(env.Stdout, "wrote %s (local: API_BASE %s; cd stripe-app && stripe apps start --manifest %s)\n",
		filepath.Join(*dir, appmanifest.LocalFile), local.Constants["API_BASE"], appmanifest.LocalFile)
	appDir := "stripe-app"
	if project != "" {
		appDir = appBuildDir
		fmt.Fprintf(env.Stdout, "the tracked stripe-app.json is unchanged (it is the template); your app project is %s\n", project)
	}
	fmt.Fprintf(env.Stdout, "next: bump --version for every upload, then cd %s && npm ci && stripe apps upload\n", appDir)
	return 0
}

// appBuildDir is where, in a checkout, the manifest command assembles the
// operator's app project (git-ignored).
const appBuildDir = "build/stripe-app"

// isRepository reports whether dir is a Tracklane checkout (its Stripe App
// project and tracked manifest are there).
func isRepository(dir string) bool {
	_, errApp := os.Stat(filepath.Join(dir, "stripe-app", "package.json"))
	_, errManifest := os.Stat(filepath.Join(dir, appmanifest.ReleaseFile))
	return errApp == nil && errManifest == nil
}

// copyAppProject copies the Stripe App project from src to dst (replacing
// what an earlier run copied), leaving out installed packages, test output
// and the manifests, which the command writes itself.
func copyAppProject(src, dst string) error {
	skip := map[string]bool{"node_modules": true, "coverage": true, appmanifest.ReleaseFile: true, appmanifest.LocalFile: true}
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skip[d.Name()] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// parseOperator parses an operator command's flags (fs is named after the
// command): --help prints the command's usage on stdout (exit 0), a
// malformed command line the error and the usage on stderr (exit 2).
func parseOperator(fs *flag.FlagSet, args []string, env Env) (status int, done bool) {
	err := parse(fs, args)
	if err == nil {
		return 0, false
	}
	var own string
	for _, c := range operatorCommands {
		if c.name == fs.Name() {
			own = c.usage()
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, "usage:\n"+own)
		return 0, true
	}
	fmt.Fprintf(env.Stderr, "error: %s\nusage:\n%s", errorText(err), own)
	return 2, true
}

// currentVersion is the version of an existing manifest, so regenerating
// keeps it; "" when there is none.
func currentVersion(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var m struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	return m.Version
}

// webhookEndpoint is one webhook endpoint to create in Stripe. Each mode's
// URL takes two: one listening to events on the operator's own account
// (the app installed there: a merchant's own business) and one to events
// on connected accounts (the app installed by other merchants).
type webhookEndpoint struct {
	Mode       string `json:"mode"`
	URL        string `json:"url"`
	ListenTo   string `json:"listen_to"` // your_account or connected_accounts
	Connect    bool   `json:"connect"`   // the Webhook Endpoints API's connect parameter
	For        string `json:"for"`
	APIVersion string `json:"api_version"`
	SecretEnv  string `json:"secret_env"`
}

// webhooksPlan is what `stripe webhooks --json` prints.
type webhooksPlan struct {
	APIVersion string            `json:"api_version"`
	Endpoints  []webhookEndpoint `json:"endpoints"`
	Events     []string          `json:"events"`
}

// The two kinds of endpoint, as the Dashboard's "Listen to" names them.
const (
	listenYourAccount       = "Events on your account"
	listenConnectedAccounts = "Events on Connected accounts"
)

// stripeWebhooks prints, per mode, the webhook URL for PUBLIC_URL, the two
// kinds of endpoint to create there, the API version to pin on them and
// the event types to subscribe (`stripe webhooks [--json]`).
func stripeWebhooks(args []string, env Env) int {
	fs := newFlags("stripe webhooks")
	asJSON := fs.Bool("json", false, "")
	if status, done := parseOperator(fs, args, env); done {
		return status
	}
	base, err := config.PublicURL(env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %v\n", err)
		return 1
	}
	plan := webhooksPlan{APIVersion: stripesync.WebhookAPIVersion, Events: stripesync.WebhookEventTypes()}
	for _, m := range []struct{ mode, path, env string }{
		{"live", "/stripe/webhook", "STRIPE_WEBHOOK_SECRET"},
		{"test", "/stripe/webhook/test", "STRIPE_TEST_WEBHOOK_SECRET"},
	} {
		plan.Endpoints = append(plan.Endpoints,
			webhookEndpoint{Mode: m.mode, URL: base + m.path, ListenTo: "your_account", Connect: false,
				For: "the app installed on this same account (your own business)", APIVersion: plan.APIVersion, SecretEnv: m.env},
			webhookEndpoint{Mode: m.mode, URL: base + m.path, ListenTo: "connected_accounts", Connect: true,
				For: "the app installed by other merchants' accounts", APIVersion: plan.APIVersion, SecretEnv: m.env})
	}
	if !strings.HasPrefix(base, "https://") {
		fmt.Fprintf(env.Stderr, "warning: PUBLIC_URL %s is not https; Stripe delivers live-mode webhooks only to HTTPS URLs\n", base)
	}
	if *asJSON {
		err = json.NewEncoder(env.Stdout).Encode(plan)
	} else {
		err = writeWebhooksPlan(env.Stdout, plan)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: writing output: %v\n", err)
		return 1
	}
	return 0
}

func writeWebhooksPlan(w io.Writer, plan webhooksPlan) error {
	var b strings.Builder
	b.WriteString("Create webhook endpoints in the Stripe Dashboard of the account whose keys this server holds\n")
	b.WriteString("(Developers → Webhooks → Add endpoint), each pinned to API version " + plan.APIVersion + ",\n")
	b.WriteString("with the events listed at the end. Create the kinds you need: both if unsure.\n")
	for i, e := range plan.Endpoints {
		if i == 0 || plan.Endpoints[i-1].Mode != e.Mode {
			fmt.Fprintf(&b, "\n%s mode: %s\n", e.Mode, e.URL)
		}
		listen := listenYourAccount
		if e.Connect {
			listen = listenConnectedAccounts
		}
		fmt.Fprintf(&b, "  - listening to %q: %s\n", listen, e.For)
		if i+1 == len(plan.Endpoints) || plan.Endpoints[i+1].Mode != e.Mode {
			fmt.Fprintf(&b, "  API version: %s on each\n", e.APIVersion)
			fmt.Fprintf(&b, "  secrets: each endpoint's signing secret (whsec_…) goes in %s, comma-separated\n", e.SecretEnv)
		}
	}
	fmt.Fprintf(&b, "\nevents (%d, the same for every endpoint):\n", len(plan.Events))
	for _, t := range plan.Events {
		fmt.Fprintf(&b, "  %s\n", t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
