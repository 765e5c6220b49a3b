package portal

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/views"
)

// loadTenant finds the program of /p/<slug>; an unknown one is a 404 page.
func (h *Handler) loadTenant(c *gin.Context) {
	slug := strings.ToLower(c.Param("slug"))
	if len(slug) > 40 {
		h.answer(c, http.StatusNotFound, "No such program", "There is no affiliate program at this address. Check the link you were given.")
		c.Abort()
		return
	}
	t, err := h.store.TenantBySlug(c.Request.Context(), slug)
	if apperr.Is(err, apperr.NotFound) {
		h.answer(c, http.StatusNotFound, "No such program", "There is no affiliate program at this address. Check the link you were given.")
		c.Abort()
		return
	}
	if err != nil {
		h.fail(c, err)
		c.Abort()
		return
	}
	if c.Param("slug") != t.Slug && c.Request.Method == http.MethodGet {
		// /p/Acme-Corp → /p/acme-corp: the portal's cookies are scoped to
		// the canonical path, which browsers compare case-sensitively.
		c.Redirect(http.StatusMovedPermanently, "/p/"+t.Slug+strings.TrimPrefix(c.Request.URL.Path, "/p/"+c.Param("slug")))
		c.Abort()
		return
	}
	c.Set(tenantKey, t)
	c.Next()
}

func (h *Handler) render(c *gin.Context, status int, page templ.Component) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := page.Render(c.Request.Context(), c.Writer); err != nil {
		h.log.ErrorContext(c.Request.Context(), "rendering portal page", "path", c.FullPath(), "err", err)
	}
}

// page is a signed-out page of the request's program.
func (h *Handler) page(c *gin.Context, kind string) views.PortalAuthPage {
	t := tenantOf(c)
	return views.PortalAuthPage{Kind: kind, Program: t.Name, Slug: t.Slug, AssetQuery: h.deps.AssetQuery}
}

// answer shows a message page with status.
func (h *Handler) answer(c *gin.Context, status int, heading, message string) {
	p := h.page(c, "answer")
	p.Status, p.Heading, p.Message = status, heading, message
	h.render(c, status, views.PortalAuth(p))
}

// fail shows err as a page with the status of its code; internal errors
// are logged and shown without their cause.
func (h *Handler) fail(c *gin.Context, err error) {
	code := apperr.CodeOf(err)
	status := respond.Status(code)
	if code == apperr.Internal {
		h.log.ErrorContext(c.Request.Context(), "portal request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		h.answer(c, status, "Something went wrong", "This page could not be loaded because of a problem on our side. Try again in a moment.")
		return
	}
	h.answer(c, status, "That did not work", userMessage(err))
}

// userMessage is an application error's message as a sentence.
func userMessage(err error) string {
	msg := apperr.MessageOf(err)
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
