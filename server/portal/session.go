package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	// sessionCookie is the portal's session; its Path is the program's
	// /p/<slug>, so the browser never sends it to the dashboard, the API
	// or another program.
	sessionCookie = "tl_portal"
	// preCookie carries a random value before login, for the CSRF token
	// of the signed-out forms.
	preCookie = "tl_portal_pre"
	// sessionLife is how long an idle session lasts; use extends it.
	sessionLife = 30 * 24 * time.Hour
	touchEvery  = time.Hour
)

func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/p/" + tenantOf(c).Slug, MaxAge: maxAge,
		HttpOnly: true, Secure: h.deps.Config.Secure(), SameSite: http.SameSiteLaxMode,
	})
}

// startSession signs the affiliate in with a fresh session id (never one
// the browser brought) and ends the session the browser had, if any.
func (h *Handler) startSession(c *gin.Context, a tracklane.Affiliate) error {
	ctx := c.Request.Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := h.store.DeletePortalSession(ctx, ident.Hash(old)); err != nil {
			return err
		}
	}
	id := ident.Secret()
	now := h.now()
	if err := h.store.CreatePortalSession(ctx, ident.Hash(id), a.TenantID, a.ID, now, now.Add(sessionLife)); err != nil {
		return err
	}
	h.setCookie(c, sessionCookie, id, int(sessionLife/time.Second))
	h.noteBrowser(c, a.TenantID, a.ID, now)
	return nil
}

// session reads the browser's live session in this program.
func (h *Handler) session(c *gin.Context) (store.PortalSession, error) {
	id, err := c.Cookie(sessionCookie)
	if err != nil || id == "" || len(id) > 100 {
		return store.PortalSession{}, apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	return h.store.PortalSessionByHash(c.Request.Context(), tenantOf(c).ID, ident.Hash(id), h.now())
}

// requireSession loads the signed-in affiliate (a live session of an
// active affiliate of this program) or sends the visitor to the log-in
// page.
func (h *Handler) requireSession(c *gin.Context) {
	sess, err := h.session(c)
	if err != nil {
		if !apperr.Is(err, apperr.Unauthorized) {
			h.fail(c, err)
			c.Abort()
			return
		}
		c.Redirect(http.StatusSeeOther, "/p/"+tenantOf(c).Slug+"/login")
		c.Abort()
		return
	}
	// The session is touched hourly, and on the first request of a new
	// UTC day, which also notes the day's browser (the visitor hash is
	// keyed by the day): one write a session a day, not one a page.
	now := h.now()
	newDay := !sameUTCDay(now, sess.LastSeenAt)
	if newDay || now.Sub(sess.LastSeenAt) > touchEvery {
		if err := h.store.TouchPortalSession(c.Request.Context(), sess.IDHash, now, now.Add(sessionLife)); err != nil {
			h.log.WarnContext(c.Request.Context(), "extending portal session", "err", err)
		}
	}
	if newDay {
		h.noteBrowser(c, sess.Affiliate.TenantID, sess.Affiliate.ID, now)
	}
	c.Set(viewerKey, Viewer{Tenant: tenantOf(c), Affiliate: sess.Affiliate, CSRF: h.mac("session", sess.IDHash)})
	c.Next()
}

func (h *Handler) mac(kind string, v []byte) string {
	return pagekit.MAC(h.csrfKey, kind, v)
}

// CheckCSRF refuses (403, a readable page) a POST on the signed-in group
// whose form field "csrf" is not the session's token (Viewer.CSRF). It
// runs after the session is loaded; the portal applies it to the whole
// signed-in group, so the pages' POST handlers need nothing more.
func (h *Handler) CheckCSRF(c *gin.Context) { h.checkSessionCSRF(c) }

// sessionToken is the signed-in affiliate's CSRF token (none without a
// viewer).
func sessionToken(c *gin.Context) (string, bool) {
	v, ok := ViewerFrom(c)
	return v.CSRF, ok
}

// anonCSRF returns the signed-out forms' CSRF token, setting the
// browser's random pre-login cookie when it has none.
func (h *Handler) anonCSRF(c *gin.Context) string { return h.preLogin.Token(c) }

// csrfRefused answers a form whose CSRF token did not match.
func (h *Handler) csrfRefused(c *gin.Context) {
	h.answer(c, http.StatusForbidden, "This form has expired",
		"The form was not sent from this page, or your session changed since the page was loaded. Go back, reload the page and try again.")
}
