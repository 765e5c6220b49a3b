// Package appmanifest writes the Stripe App's manifests: the release
// manifest (stripe-app.json, what `stripe apps upload` sends) for an
// operator's public HTTPS URL, and the local one (stripe-app.local.json,
// which extends it with the localhost values `stripe apps start --manifest`
// uses). It refuses what Stripe's upload refuses, with a message that says
// what to change, so an operator finds out here rather than at upload.
package appmanifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Files written by Write, relative to the repository root.
const (
	ReleaseFile = "stripe-app.json"
	LocalFile   = "stripe-app.local.json"
)

// Example are the values of the committed manifests: clearly example ones
// (example.com is reserved for examples) that pass every upload rule. An
// operator regenerates both files with their own URL and app id.
var Example = Options{
	PublicURL:    "https://tracklane.example.com",
	AppID:        "com.example.tracklane",
	Name:         "Tracklane",
	Distribution: "private",
	Version:      "1.0.0",
	LocalURL:     DefaultLocalURL,
}

// DefaultLocalURL is where `go run ./server` listens by default.
const DefaultLocalURL = "http://localhost:8080"

// Options are what an operator chooses.
type Options struct {
	PublicURL    string // the server's PUBLIC_URL: https, a registrable domain, optionally a path
	AppID        string // globally unique, e.g. com.yourcompany.tracklane
	Name         string // shown in the Dashboard; default "Tracklane"
	Distribution string // "private" (default: your own account and its team) or "public" (Marketplace review)
	Version      string // each upload needs a new one; default "1.0.0"
	LocalURL     string // the local server for stripe-app.local.json; default DefaultLocalURL
}

// Manifest is stripe-app.json, in the field order Stripe's examples use.
type Manifest struct {
	ID                       string            `json:"id"`
	Version                  string            `json:"version"`
	Name                     string            `json:"name"`
	Icon                     string            `json:"icon"`
	DistributionType         string            `json:"distribution_type"`
	StripeAPIAccessType      string            `json:"stripe_api_access_type"`
	SandboxInstallCompatible bool              `json:"sandbox_install_compatible"`
	Permissions              []PermissionEntry `json:"permissions"`
	UIExtension              UIExtension       `json:"ui_extension"`
	PostInstallAction        *PostInstall      `json:"post_install_action,omitempty"`
	Constants                map[string]string `json:"constants"`
}

// PermissionEntry is one entry of "permissions".
type PermissionEntry struct {
	Permission string `json:"permission"`
	Purpose    string `json:"purpose"`
}

// UIExtension is "ui_extension".
type UIExtension struct {
	Views                 []View `json:"views,omitempty"`
	ContentSecurityPolicy CSP    `json:"content_security_policy"`
}

// View is one view of the UI extension.
type View struct {
	Viewport  string `json:"viewport"`
	Component string `json:"component"`
}

// CSP is the content security policy request.
type CSP struct {
	ConnectSrc []string `json:"connect-src"`
	Purpose    string   `json:"purpose,omitempty"`
}

// PostInstall is "post_install_action".
type PostInstall struct {
	Type string `json:"type"`
}

// Local is stripe-app.local.json: only what differs from the release
// manifest it extends.
type Local struct {
	Extends     string            `json:"extends"`
	UIExtension LocalUIExtension  `json:"ui_extension"`
	Constants   map[string]string `json:"constants"`
}

// LocalUIExtension overrides connect-src only.
type LocalUIExtension struct {
	ContentSecurityPolicy CSP `json:"content_security_policy"`
}

// cspPurpose is shown to the merchant at install.
const cspPurpose = "The settings page talks to your Tracklane server to connect this Stripe account to your Tracklane " +
	"tenant, show the connection status and run a check on demand."

// withDefaults fills the optional fields.
func (o Options) withDefaults() Options {
	o.PublicURL = strings.TrimSpace(o.PublicURL)
	o.AppID = strings.TrimSpace(o.AppID)
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		o.Name = "Tracklane"
	}
	o.Distribution = strings.TrimSpace(o.Distribution)
	if o.Distribution == "" {
		o.Distribution = "private"
	}
	o.Version = strings.TrimSpace(o.Version)
	if o.Version == "" {
		o.Version = "1.0.0"
	}
	if strings.TrimSpace(o.LocalURL) == "" {
		o.LocalURL = DefaultLocalURL
	}
	return o
}

// Build checks the options against Stripe's upload rules and returns the
// release manifest and the local one. Every problem is reported together.
func Build(o Options) (Manifest, Local, error) {
	o = o.withDefaults()
	base, errs := checkPublicURL(o.PublicURL)
	errs = append(errs, checkAppID(o.AppID)...)
	errs = append(errs, checkName(o.Name, o.Distribution)...)
	if o.Distribution != "private" && o.Distribution != "public" {
		errs = append(errs, fmt.Sprintf("--distribution must be private or public, got %q", o.Distribution))
	}
	local, localErrs := checkLocalURL(o.LocalURL)
	errs = append(errs, localErrs...)
	if len(errs) > 0 {
		return Manifest{}, Local{}, &RuleError{Problems: errs}
	}
	m := Manifest{
		ID: o.AppID, Version: o.Version, Name: o.Name, Icon: "./icon.png",
		DistributionType: o.Distribution, StripeAPIAccessType: "platform", SandboxInstallCompatible: false,
		UIExtension: UIExtension{
			Views:                 []View{{Viewport: "settings", Component: "AppSettings"}},
			ContentSecurityPolicy: CSP{ConnectSrc: []string{base + "/stripe-app/"}, Purpose: cspPurpose},
		},
		PostInstallAction: &PostInstall{Type: "settings"},
		Constants:         map[string]string{"API_BASE": base},
	}
	for _, p := range Permissions {
		m.Permissions = append(m.Permissions, PermissionEntry{Permission: p.Name, Purpose: p.Purpose})
	}
	if problems := CheckRelease(m); len(problems) > 0 { // the rules hold for what Build makes, too
		return Manifest{}, Local{}, &RuleError{Problems: problems}
	}
	l := Local{
		Extends:     ReleaseFile,
		UIExtension: LocalUIExtension{ContentSecurityPolicy: CSP{ConnectSrc: []string{local + "/stripe-app/"}}},
		Constants:   map[string]string{"API_BASE": local},
	}
	return m, l, nil
}

// RuleError lists every rule the options break.
type RuleError struct{ Problems []string }

func (e *RuleError) Error() string {
	return "the Stripe App manifest would be refused:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Encode renders a manifest as the committed files are: two-space
// indentation, a final newline, no HTML escaping.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	return buf.Bytes(), nil
}
