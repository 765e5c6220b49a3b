package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// A mistyped address in the dashboard or a program's portal is a page (404,
// HTML, a way back), not the JSON of an unknown endpoint; machine
// addresses keep their JSON error.
func TestUnknownAddressesArePages(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.signup("Acme", "owner@acme.example")
	get := func(path, accept string) answer {
		req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return b.do(req)
	}
	const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, c := range []struct{ path, back string }{
		{"/settingz", `href="/"`},
		{"/affiliates/new/oops", `href="/"`},
		{"/p/acme/nowhere", `href="/p/acme"`},
		{"/p/acme/settings/typo", `href="/p/acme"`},
	} {
		a := get(c.path, html)
		if a.status != http.StatusNotFound || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s; want a 404 page", c.path, a.status, a.header.Get("Content-Type"))
		}
		if !strings.Contains(a.body, "Page not found") || !strings.Contains(a.body, c.back) {
			t.Errorf("%s: the page lacks its heading or the way back %s:\n%s", c.path, c.back, short(a.body))
		}
	}
	for _, path := range []string{"/api/v1/nothing", "/tracking/nothing/v1", "/stripe-app/nothing"} {
		a := get(path, html)
		if a.status != http.StatusNotFound || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s; want the JSON 404", path, a.status, a.header.Get("Content-Type"))
		}
	}
	if a := get("/settingz", "application/json"); !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("a JSON client got %s", a.header.Get("Content-Type"))
	}
}
