package tracking

import (
	"html"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleRedirect serves an affiliate link /r/<code>: it records the click
// server-side (no JavaScript, nothing for an ad blocker to stop) and sends
// the visitor on to the landing page with cid=<click id>, which the tracker
// on that page stores in its cookie. Query parameters of the link (UTM tags)
// are passed on. Bots and HEAD requests are redirected without a click.
func (h *Handler) handleRedirect(c *gin.Context) {
	code := tracklane.FoldCode(c.Param("code"))
	if !tracklane.ValidCode(code) {
		h.redirectError(c, http.StatusNotFound, "This affiliate link does not exist.")
		return
	}
	ctx := c.Request.Context()
	aff, err := h.affiliateByLink(ctx, code)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			h.redirectError(c, http.StatusNotFound, "This affiliate link does not exist.")
			return
		}
		h.log.ErrorContext(ctx, "redirect link lookup", "err", err)
		h.redirectError(c, http.StatusServiceUnavailable, "This link is temporarily unavailable. Please try again in a moment.")
		return
	}
	tenant, err := h.tenant(ctx, aff.TenantID)
	if err != nil {
		h.log.ErrorContext(ctx, "redirect tenant lookup", "err", err)
		h.redirectError(c, http.StatusServiceUnavailable, "This link is temporarily unavailable. Please try again in a moment.")
		return
	}
	target := aff.LandingURL
	if target == "" {
		target = tenant.Website
	}
	dest, err := parseWebURL(target)
	if err != nil {
		h.redirectError(c, http.StatusNotFound, "This affiliate link has no landing page yet.")
		return
	}
	if dest.Path == "" {
		dest.Path = "/"
	}
	q := dest.Query()
	for k, vs := range c.Request.URL.Query() {
		if k == "cid" {
			continue
		}
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	ua := capString(c.Request.UserAgent(), 512)
	switch {
	case aff.Status != tracklane.AffiliateActive:
		// Not an active affiliate (SPEC section 8): the visitor still
		// reaches the landing page, with no click and no cid.
		dest.RawQuery = q.Encode()
	case c.Request.Method == http.MethodGet && !isBot(ua):
		dest.RawQuery = q.Encode()
		referrer := ""
		if ref, err := parseWebURL(c.Request.Referer()); err == nil {
			referrer = ref.String()
		}
		click, err := h.record(c, tenant, aff, capString(dest.String(), 2048), q, referrer, "", ua)
		if err != nil {
			// Never strand the visitor: send them on without attribution.
			h.log.ErrorContext(ctx, "recording a redirect click", "err", err)
		} else {
			q.Set("cid", click.ID)
		}
	default:
		h.observer.Bot() // a HEAD or a crawler: a link preview, no click
	}
	dest.RawQuery = q.Encode()
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer-when-downgrade")
	c.Redirect(http.StatusFound, dest.String())
}

// redirectErrorCSP lets the error page use its inline style and nothing
// else.
const redirectErrorCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

func (h *Handler) redirectError(c *gin.Context, status int, msg string) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", redirectErrorCSP)
	c.Data(status, "text/html; charset=utf-8", []byte(`<!doctype html><meta charset="utf-8"><title>Tracklane</title>`+
		`<body style="font:16px system-ui;margin:4rem auto;max-width:32rem;color:#333"><h1 style="font-size:1.25rem">`+
		html.EscapeString(msg)+`</h1></body>`))
}
