package appmanifest

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// The upload rules, as Stripe documents them (docs.stripe.com/stripe-apps:
// the app manifest reference, permissions, distribution options):
//   - connect-src URLs are HTTPS only and must have a path (the published
//     schema's pattern ^https?://.*/.+ — which alone still accepts http);
//   - the app id is globally unique, of letters, digits, "_", "-", ".";
//   - a public app's name may not contain "Stripe", "app", "free" or
//     "paid";
//   - every permission has a purpose the merchant reads at install;
//   - distribution_type is "private" (default) or "public" (Marketplace
//     review); sandbox_install_compatible lets sandboxes install it. It
//     stays false: Stripe's "Enable sandbox support" has a public app's
//     sandbox installs served by a managed sandbox with its own API keys
//     and webhook secrets, which this server does not hold, and the docs
//     do not say how a request tells a sandbox install from a test-mode
//     one; the platform's test key is refused there (docs/deploy.md).
// Stripe also reaches the server from the internet: a release URL must be
// on a registrable domain, never localhost, an IP address or a private
// suffix.

// appIDPattern is the schema's pattern for "id".
var appIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_\-.]+$`)

// ProjectAppID is the id the Tracklane project itself once used. App ids
// are global across Stripe: an operator's upload under it is refused.
const ProjectAppID = "com.tracklane.affiliates"

// checkPublicURL returns the base URL (no trailing slash) for a release
// manifest, or what is wrong with it.
func checkPublicURL(raw string) (string, []string) {
	if raw == "" {
		return "", []string{"--public-url is required: your server's public HTTPS URL (its PUBLIC_URL), e.g. https://track.example.com"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", []string{fmt.Sprintf("--public-url %q is not an absolute URL such as https://track.example.com", raw)}
	}
	var errs []string
	if u.Scheme != "https" {
		errs = append(errs, fmt.Sprintf("--public-url must be https: Stripe only lets an uploaded app connect to HTTPS URLs, got %q (for a local server use stripe-app.local.json, which this command writes too)", raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Sprintf("--public-url %q must not carry a user, query or fragment", raw))
	}
	if problem := hostProblem(u.Hostname()); problem != "" {
		errs = append(errs, "--public-url: "+problem)
	}
	if len(errs) > 0 {
		return "", errs
	}
	return "https://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// hostProblem says why a release URL's host cannot be reached by Stripe's
// users, or "" when it is a registrable domain.
func hostProblem(host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Sprintf("%q is this machine: Stripe's upload refuses localhost; use your server's public domain", host)
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return fmt.Sprintf("%q is an IP address: use a registrable domain name (with a TLS certificate) for your server", host)
	}
	suffix, icann := publicsuffix.PublicSuffix(h)
	if !icann || suffix == h {
		return fmt.Sprintf("%q is not on a registrable public domain (suffix %q): use your server's public domain", host, suffix)
	}
	return ""
}

// checkLocalURL returns the local base URL, or what is wrong with it.
func checkLocalURL(raw string) (string, []string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", []string{fmt.Sprintf("--local-url %q is not an absolute http(s) URL such as %s", raw, DefaultLocalURL)}
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

func checkAppID(id string) []string {
	switch {
	case id == "":
		return []string{"--app-id is required: a globally unique id in reverse-domain form, e.g. com.yourcompany.tracklane"}
	case !appIDPattern.MatchString(id):
		return []string{fmt.Sprintf("--app-id %q may only hold letters, digits, '_', '-' and '.'", id)}
	case !strings.Contains(id, "."):
		return []string{fmt.Sprintf("--app-id %q should be in reverse-domain form (com.yourcompany.tracklane): app ids are global across Stripe", id)}
	case strings.EqualFold(id, ProjectAppID):
		return []string{fmt.Sprintf("--app-id %s is the Tracklane project's own id; app ids are global across Stripe, so use one under your own domain (com.yourcompany.tracklane)", id)}
	}
	return nil
}

// forbiddenPublicWords may not appear in a public app's name.
var forbiddenPublicWords = []string{"stripe", "app", "free", "paid"}

func checkName(name, distribution string) []string {
	if name == "" {
		return []string{"--name must not be empty"}
	}
	if distribution != "public" {
		return nil
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	for _, w := range forbiddenPublicWords {
		if slices.Contains(words, w) {
			return []string{fmt.Sprintf("--name %q: a public app's name may not contain the word %q (Stripe's listing rules)", name, w)}
		}
	}
	return nil
}

// CheckRelease checks a release manifest against the upload rules that
// the JSON schema does not express; nil when it may be uploaded.
func CheckRelease(m Manifest) []string {
	var errs []string
	errs = append(errs, checkAppID(m.ID)...)
	errs = append(errs, checkName(m.Name, m.DistributionType)...)
	if m.DistributionType != "private" && m.DistributionType != "public" {
		errs = append(errs, fmt.Sprintf("distribution_type must be private or public, got %q", m.DistributionType))
	}
	if m.SandboxInstallCompatible {
		errs = append(errs, "sandbox_install_compatible must be false: a sandbox install is served by your managed sandbox with keys "+
			"and webhook secrets this server does not hold, so Stripe would refuse every check of it (see docs/deploy.md, Sandboxes)")
	}
	if m.StripeAPIAccessType != "platform" {
		errs = append(errs, fmt.Sprintf("stripe_api_access_type must be platform (the server reads with the platform keys), got %q", m.StripeAPIAccessType))
	}
	for _, p := range m.Permissions {
		if strings.TrimSpace(p.Purpose) == "" {
			errs = append(errs, fmt.Sprintf("permission %s has no purpose", p.Permission))
		}
		if !strings.HasSuffix(p.Permission, "_read") {
			errs = append(errs, fmt.Sprintf("permission %s is not read-only", p.Permission))
		}
	}
	base := m.Constants["API_BASE"]
	if _, problems := checkPublicURL(base); len(problems) > 0 {
		errs = append(errs, fmt.Sprintf("constants.API_BASE %q: %s", base, strings.Join(problems, "; ")))
	}
	src := m.UIExtension.ContentSecurityPolicy.ConnectSrc
	for _, s := range src {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || strings.Trim(u.Path, "/") == "" {
			errs = append(errs, fmt.Sprintf("connect-src %q must be an https URL with a path (Stripe allows only HTTPS)", s))
			continue
		}
		if problem := hostProblem(u.Hostname()); problem != "" {
			errs = append(errs, "connect-src: "+problem)
		}
	}
	if !slices.Contains(src, base+"/stripe-app/") {
		errs = append(errs, fmt.Sprintf("connect-src must allow constants.API_BASE + /stripe-app/ (%s/stripe-app/), got %v", base, src))
	}
	if strings.TrimSpace(m.UIExtension.ContentSecurityPolicy.Purpose) == "" {
		errs = append(errs, "content_security_policy.purpose must say why the app connects to your server")
	}
	return errs
}
