package portalpages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/views"
)

// pageSize is the number of rows of a list page.
const pageSize = 50

// pageHeaders is pagekit.Headers plus nosniff, set again on these pages
// whatever the caller's middleware set already.
func pageHeaders(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	pagekit.Headers(c)
}

// refuseURL answers an address urlcheck refused, as plain text.
func refuseURL(c *gin.Context, err error) {
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.String(respond.Status(apperr.CodeOf(err)), apperr.MessageOf(err))
}

// chrome is the frame of a portal page for v.
func (h *Handler) chrome(c *gin.Context, v Viewer, title, active string) views.PortalChrome {
	return views.PortalChrome{
		Title: title, ProgramName: v.Tenant.Name, Slug: c.Param("slug"),
		AffiliateName: v.Affiliate.Name, Email: v.Affiliate.Email, CSRF: v.CSRF, Active: active,
		AssetQuery: h.d.AssetQuery, Notice: notices[c.Query("ok")],
	}
}

// notices are the messages a redirect after an action may ask for (by
// key, so no text of the URL reaches the page).
var notices = map[string]string{
	"payout-email-saved": "Payout email saved.",
	"password-changed":   "Password changed.",
}

// render writes a page with status.
func (h *Handler) render(c *gin.Context, status int, page templ.Component) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := page.Render(c.Request.Context(), c.Writer); err != nil {
		h.d.Log.ErrorContext(c.Request.Context(), "rendering portal page", "path", c.FullPath(), "err", err)
	}
}

// fail shows err as a page within the portal, with the status of its code.
// Internal errors are logged with their cause and shown without it.
func (h *Handler) fail(c *gin.Context, v Viewer, err error) {
	code := apperr.CodeOf(err)
	p := views.PortalErrorPage{Chrome: h.chrome(c, v, "Error", ""), Heading: "That did not work", Message: apperr.MessageOf(err)}
	p.Chrome.Notice = ""
	switch code {
	case apperr.Internal:
		h.d.Log.ErrorContext(c.Request.Context(), "portal request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		p.Heading = "Something went wrong"
		p.Message = "This page could not be loaded because of a problem on our side. Try again in a moment."
	case apperr.NotFound:
		p.Heading = "Not found"
	}
	p.Chrome.Title = p.Heading
	h.render(c, respond.Status(code), views.PortalError(p))
}

// formMessage is err as a form shows it: the application's message, or a
// generic one (logged) for internal errors.
func (h *Handler) formMessage(c *gin.Context, err error) (int, string) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		h.d.Log.ErrorContext(c.Request.Context(), "portal action failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		return http.StatusInternalServerError, "Something went wrong on our side; nothing was changed. Try again in a moment."
	}
	msg := apperr.MessageOf(err)
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return respond.Status(code), msg
}

// readPage reads ?after= (a keyset.Encode of the last row shown).
func readPage(after string) (store.Page, error) { return pagekit.ReadPage(after, pageSize) }

// pageURL builds path?after=… for the next page ("" after: path alone).
func pageURL(path, after string) string {
	if after == "" {
		return path
	}
	return path + "?" + url.Values{"after": {after}}.Encode()
}
