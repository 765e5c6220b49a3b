package securitytest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// TestStoredFieldsAreEscaped stores markup through every field a stranger
// (an affiliate, a visitor's browser, a customer) can set, then reads every
// page that shows it: the markup must only ever appear escaped.
func TestStoredFieldsAreEscaped(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
	v := newVisitor(t, app)
	tenant := v.signup("XSS Shop", "owner@xss.example")
	const payload = `<script>alert(1)</script>`
	d := populate(t, app, tenant, "xss", `"><script>alert(1)</script>@customer.example`, map[string]string{
		"name":     `Evil ` + payload,
		"landing":  `https://shop.example/?q="><script>alert(1)</script>`,
		"url":      `https://shop.example/?aff=xss&utm_source=<script>alert(1)</script>&utm_campaign="><img src=x onerror=alert(1)>`,
		"referrer": `https://blog.example/<script>alert(1)</script>`,
	})
	pages := []string{"/", "/clicks", "/conversions", "/conversions/" + d.conversion, "/affiliates", "/affiliates/" + d.affiliate, "/integration", "/settings"}
	for _, p := range pages {
		s, body, h := v.do("GET", p, nil)
		if s != 200 {
			t.Errorf("%s: %d", p, s)
			continue
		}
		for _, raw := range []string{payload, `<img src=x onerror`, `"><script>alert`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s renders %q unescaped", p, raw)
			}
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", p, h)
		}
	}
	// The escaped form is there: the data is shown, not dropped.
	_, body, _ := v.do("GET", "/affiliates", nil)
	if !strings.Contains(body, "Evil &lt;script&gt;") {
		t.Errorf("the affiliate's name is not shown escaped")
	}
	// The API returns JSON (no HTML context), escaped by the JSON encoder.
	status, data := app.Do(t, "GET", "/api/v1/affiliates", nil, "Authorization: Bearer "+d.token)
	if status != 200 || strings.Contains(string(data), "<script>") {
		t.Errorf("API: %d %s", status, data)
	}
}

// TestHSTSBehindHTTPS: with an https PUBLIC_URL every answer asks browsers
// to stay on https, and the session cookie is Secure.
func TestHSTSBehindHTTPS(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"PUBLIC_URL": "https://track.example"})
	v := newVisitor(t, app)
	_, _, h := v.do("GET", "/login", nil)
	if !strings.Contains(h.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS: %v", h)
	}
	v.do("GET", "/signup", nil)
	_, _, h = v.do("POST", "/signup", map[string][]string{"name": {"Secure Shop"}, "email": {"owner@secure.example"},
		"password": {"correct horse battery"}, "website": {"https://shop.example"}})
	cookie := h.Get("Set-Cookie")
	if !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Errorf("session cookie %q", cookie)
	}
	_, _, h = v.do("GET", "/healthz", nil)
	if h.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on JSON answers")
	}
}

// TestJSONAnswersDenyEverything: answers that are not dashboard pages
// (JSON, errors, health) carry a deny-all CSP, so a JSON body opened as a
// document can run nothing and be framed by no one; dashboard pages keep
// their own policy.
func TestJSONAnswersDenyEverything(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/healthz"},
		{"GET", "/api/v1/clicks"},
		{"POST", "/tracking/click/v1"},
		{"POST", "/stripe-app/status"},
		{"POST", "/stripe/webhook"},
		{"GET", "/no/such/endpoint"},
	} {
		req, _ := http.NewRequest(tc.method, app.URL+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s (%d): CSP %q, want a deny-all one", tc.method, tc.path, resp.StatusCode, csp)
		}
	}
	v := newVisitor(t, app)
	if _, _, h := v.do("GET", "/login", nil); !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("the login page lost its own CSP: %q", h.Get("Content-Security-Policy"))
	}
}
