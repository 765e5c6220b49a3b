package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
)

const (
	// sessionCookie is the dashboard's session (signin.Kind), for the
	// whole site.
	sessionCookie = "tl_session"
	// preCookie carries a random value before login, so the log-in and
	// sign-up forms have a CSRF token too (login CSRF).
	preCookie  = "tl_pre"
	sessionKey = "dashboard.session"
)

// newSignin is the dashboard's kind of sign-in: users of a tenant, their
// sessions in table sessions, the cookie at "/".
func (h *Handler) newSignin() *signin.Kind[store.Session] {
	return &signin.Kind[store.Session]{
		Cookie: sessionCookie, Path: signin.RootPath, Secure: h.deps.Config.Secure(),
		Sessions: store.DashboardSessions, Store: h.store,
		Read: func(c *gin.Context, idHash []byte, now time.Time) (store.Session, error) {
			return h.store.SessionByHash(c.Request.Context(), idHash, now)
		},
		Throttle: h.throttle, ThrottleKey: "login",
		Now: h.now, Log: h.log,
	}
}

// requireSession loads the signed-in session (signin.Kind.Require) or
// sends the visitor to the log-in page (JSON endpoints answer 401).
func (h *Handler) requireSession() gin.HandlerFunc {
	return h.signin.Require(func(c *gin.Context, sess store.Session) {
		h.signin.Refresh(c, sess, false)
		c.Set(sessionKey, sess)
	}, h.toLogin, h.fail)
}

// toLogin answers a request that needs a session and has none.
func (h *Handler) toLogin(c *gin.Context) {
	if strings.HasSuffix(c.Request.URL.Path, ".json") {
		c.JSON(http.StatusUnauthorized, gin.H{"error": gin.H{"message": "not signed in"}})
		return
	}
	if c.Request.URL.Path == "/" {
		// A new instance has nobody to log in: its first visitor is sent
		// to make the account.
		if open, fresh, err := h.signupState(c.Request.Context()); err == nil && open && fresh {
			c.Redirect(http.StatusSeeOther, "/signup")
			return
		}
	}
	next := ""
	if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/" {
		next = "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, "/login"+next)
}

// signedIn reports whether the browser has a live session (for pages that
// are shown signed out only).
func (h *Handler) signedIn(c *gin.Context) bool {
	_, err := h.signin.Current(c)
	return err == nil
}

// session returns the signed-in session (after requireSession).
func session(c *gin.Context) store.Session {
	s, _ := c.Get(sessionKey)
	ss, _ := s.(store.Session)
	return ss
}

// tenantID is the signed-in tenant: every read and write is scoped by it.
func tenantID(c *gin.Context) string { return session(c).TenantID }

// csrfToken is the session's CSRF token: an HMAC of the session, so it
// needs no storage and dies with the session.
func (h *Handler) csrfToken(sess store.Session) string {
	return h.mac("session", sess.IDHash)
}

func (h *Handler) mac(kind string, v []byte) string {
	return pagekit.MAC(h.csrfKey, kind, v)
}

// anonCSRF returns the pre-login CSRF token, setting the browser's random
// pre-login cookie when it has none.
func (h *Handler) anonCSRF(c *gin.Context) string { return h.preLogin.Token(c) }

// sessionToken is the signed-in session's CSRF token, for
// checkSessionCSRF (every signed-in request has a session: requireSession
// runs first).
func (h *Handler) sessionToken(c *gin.Context) (string, bool) {
	return h.csrfToken(session(c)), true
}

// csrfRefused answers a form whose CSRF token did not match.
func (h *Handler) csrfRefused(c *gin.Context) {
	h.renderError(c, http.StatusForbidden, "This form has expired",
		"The form was not sent from this dashboard, or your session changed since the page was loaded. Go back, reload the page and try again.")
}
