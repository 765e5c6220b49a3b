package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	sessionCookie = "tl_session"
	// preCookie carries a random value before login, so the log-in and
	// sign-up forms have a CSRF token too (login CSRF).
	preCookie = "tl_pre"
	// sessionLife is how long an idle session lasts; use extends it.
	sessionLife = 30 * 24 * time.Hour
	// touchEvery bounds how often a session's expiry is written.
	touchEvery = time.Hour
	sessionKey = "dashboard.session"
)

func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.deps.Config.Secure(), SameSite: http.SameSiteLaxMode,
	})
}

// startSession signs u in with a fresh session id (never one the browser
// brought: no fixation) and ends the session the browser had, if any.
func (h *Handler) startSession(c *gin.Context, u tracklane.User) error {
	ctx := c.Request.Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := h.store.DeleteSession(ctx, ident.Hash(old)); err != nil {
			return err
		}
	}
	id := ident.Secret()
	now := h.now()
	if err := h.store.CreateSession(ctx, ident.Hash(id), u, now, now.Add(sessionLife)); err != nil {
		return err
	}
	h.setCookie(c, sessionCookie, id, int(sessionLife/time.Second))
	return nil
}

// requireSession loads the signed-in session or sends the visitor to the
// log-in page (JSON endpoints answer 401).
func (h *Handler) requireSession(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := c.Cookie(sessionCookie)
	var sess store.Session
	if err == nil && id != "" && len(id) < 100 {
		sess, err = h.store.SessionByHash(ctx, ident.Hash(id), h.now())
	} else {
		err = apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	if err != nil {
		if !apperr.Is(err, apperr.Unauthorized) {
			h.fail(c, err)
			c.Abort()
			return
		}
		if strings.HasSuffix(c.Request.URL.Path, ".json") {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": gin.H{"message": "not signed in"}})
			return
		}
		if c.Request.URL.Path == "/" {
			// A new instance has nobody to log in: its first visitor is
			// sent to make the account.
			if open, fresh, err := h.signupState(ctx); err == nil && open && fresh {
				c.Redirect(http.StatusSeeOther, "/signup")
				c.Abort()
				return
			}
		}
		next := ""
		if c.Request.Method == http.MethodGet && c.Request.URL.Path != "/" {
			next = "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
		}
		c.Redirect(http.StatusSeeOther, "/login"+next)
		c.Abort()
		return
	}
	if now := h.now(); now.Sub(sess.LastSeenAt) > touchEvery {
		if err := h.store.TouchSession(ctx, sess.IDHash, now, now.Add(sessionLife)); err != nil {
			h.log.WarnContext(ctx, "extending session", "err", err)
		}
	}
	c.Set(sessionKey, sess)
	c.Next()
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
