package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	// sessionCookie is the portal's session (signin.Kind); its Path is the
	// program's /p/<slug>, so the browser never sends it to the dashboard,
	// the API or another program.
	sessionCookie = "tl_portal"
	// preCookie carries a random value before login, for the CSRF token
	// of the signed-out forms.
	preCookie = "tl_portal_pre"
)

// newSignin is the portal's kind of sign-in: affiliates of the program in
// the URL, their sessions in table affiliate_sessions (read only for an
// active affiliate of that program), the cookie at /p/<slug>.
func (h *Handler) newSignin() *signin.Kind[store.PortalSession] {
	return &signin.Kind[store.PortalSession]{
		Cookie: sessionCookie, Path: programPath, Secure: h.deps.Config.Secure(),
		Sessions: store.PortalSessions, Store: h.store,
		Read: func(c *gin.Context, idHash []byte, now time.Time) (store.PortalSession, error) {
			return h.store.PortalSessionByHash(c.Request.Context(), tenantOf(c).ID, idHash, now)
		},
		Throttle: h.deps.Throttle, ThrottleKey: "portal-login",
		Now: h.now, Log: h.log,
	}
}

// programPath is the portal's cookie path: the program of the request.
func programPath(c *gin.Context) string { return "/p/" + tenantOf(c).Slug }

// startSession signs the affiliate in (signin.Kind.Start) and notes the
// browser.
func (h *Handler) startSession(c *gin.Context, a tracklane.Affiliate) error {
	if err := h.signin.Start(c, affiliateOwner(a)); err != nil {
		return err
	}
	h.noteBrowser(c, a.TenantID, a.ID, h.now())
	return nil
}

// affiliateOwner is whom an affiliate's session signs in.
func affiliateOwner(a tracklane.Affiliate) store.SessionOwner {
	return store.SessionOwner{TenantID: a.TenantID, AffiliateID: a.ID}
}

// requireSession loads the signed-in affiliate (signin.Kind.Require: a
// live session of an active affiliate of this program) or sends the
// visitor to the log-in page.
func (h *Handler) requireSession() gin.HandlerFunc {
	return h.signin.Require(h.signedIn, func(c *gin.Context) {
		c.Redirect(http.StatusSeeOther, programPath(c)+"/login")
	}, h.fail)
}

// signedIn keeps the viewer of a signed-in request. The session is
// touched hourly, and on the first request of a new UTC day, which also
// notes the day's browser (the visitor hash is keyed by the day): one
// write a session a day, not one a page.
func (h *Handler) signedIn(c *gin.Context, sess store.PortalSession) {
	now := h.now()
	newDay := !sameUTCDay(now, sess.LastSeenAt)
	h.signin.Refresh(c, sess, newDay)
	if newDay {
		h.noteBrowser(c, sess.Affiliate.TenantID, sess.Affiliate.ID, now)
	}
	c.Set(viewerKey, Viewer{Tenant: tenantOf(c), Affiliate: sess.Affiliate, CSRF: h.mac("session", sess.IDHash), Session: sess.IDHash})
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
