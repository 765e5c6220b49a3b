package dashboard

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// machinePrefixes are the addresses of machine endpoints (JSON, the
// tracker, Stripe's calls): an unknown one keeps the JSON error.
var machinePrefixes = []string{"/api/", "/tracking/", "/stripe-app/", "/stripe/", "/r/", "/static/", "/healthz"}

// NotFoundPage answers a browser's request for an address no page has (a
// mistyped link into the dashboard or a program's portal) with a readable
// 404 page; machine endpoints and non-page requests are left to the JSON
// answer (web.NotFoundPages).
func (h *Handler) NotFoundPage(c *gin.Context) bool {
	r := c.Request
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, p := range machinePrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return false
		}
	}
	if accept := r.Header.Get("Accept"); accept != "" && !strings.Contains(accept, "text/html") && !strings.Contains(accept, "*/*") {
		return false
	}
	p := views.ErrorPage{Status: http.StatusNotFound, Heading: "Page not found",
		Message: "There is no page at this address. Check the link, or start again from the dashboard."}
	p.Chrome.AssetQuery = h.assetQuery
	if slug, ok := portalSlug(r.URL.Path); ok {
		p.Message = "There is no page at this address in the affiliate program. Check the link, or start again from the program's home."
		p.BackURL, p.BackLabel = "/p/"+slug, "Back to the program"
	}
	h.render(c, http.StatusNotFound, views.Error(p))
	return true
}

// portalSlug is the program slug of an address under /p/<slug>/.
func portalSlug(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/p/")
	if !ok {
		return "", false
	}
	slug, _, _ := strings.Cut(rest, "/")
	for _, r := range slug {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return "", false
		}
	}
	return slug, slug != ""
}
