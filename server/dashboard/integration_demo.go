package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// handleIntegrationDemo serves a stand-in shop page that runs the tenant's
// real click snippet (and, on /thanks, the thank-you call), so the flow
// can be tried before the snippets are on the merchant's site. The
// snippets are inline scripts, allowed by a per-answer CSP nonce.
func (h *Handler) handleIntegrationDemo(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	origins, err := h.store.RevenueOrigins(c.Request.Context(), t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	nonce := make([]byte, 18)
	if _, err := rand.Read(nonce); err != nil {
		h.fail(c, err)
		return
	}
	n := base64.StdEncoding.EncodeToString(nonce)
	src := "'self'"
	if u, err := url.Parse(h.deps.Config.PublicURL); err == nil && u.Host != "" {
		src += " " + u.Scheme + "://" + u.Host // the tracker may live on another host than the dashboard
	}
	c.Header("Content-Security-Policy", "default-src 'self'; script-src "+src+" 'nonce-"+n+"'; connect-src "+src+
		"; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	page := views.DemoPage{
		Nonce: n, Snippet: clickSnippet(h.deps.Config.PublicURL, t.ID), AssetQuery: h.assetQuery,
		NextURL: "/integration/demo/thanks",
	}
	if strings.HasSuffix(c.Request.URL.Path, "/thanks") {
		page.ThankYou = thankYouCall(t.ID, testEmail, defaultOrigin(origins))
	}
	h.render(c, http.StatusOK, views.Demo(page))
}
