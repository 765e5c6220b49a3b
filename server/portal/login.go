package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// The portal's login throttle, as the merchant's (see package dashboard):
// per email and network, per network, and a slow limit per email; keys
// are per program.
const (
	loginWindow         = 15 * time.Minute
	loginMaxPerEmailNet = 5
	loginMaxPerNet      = 20
	loginSlowPerEmail   = 20
)

func (h *Handler) handleLoginForm(c *gin.Context) {
	if _, err := h.session(c); err == nil {
		c.Redirect(http.StatusSeeOther, "/p/"+tenantOf(c).Slug)
		return
	}
	p := h.page(c, "login")
	p.CSRF = h.anonCSRF(c)
	if c.Query("ok") == "password-set" {
		p.Notice = "Your password is saved. Log in with it."
	}
	h.render(c, http.StatusOK, views.PortalAuth(p))
}

func (h *Handler) handleLogin(c *gin.Context) {
	ctx := c.Request.Context()
	t := tenantOf(c)
	email := tracklane.FoldEmail(c.PostForm("email"))
	p := h.page(c, "login")
	p.CSRF, p.Email = h.anonCSRF(c), email

	// Counted before the password is compared: parallel attempts cannot
	// all pass the check.
	th := h.deps.Throttle
	network := ratelimit.ClientKey(c.ClientIP())
	perEmailNet := th.Key("portal-login", t.ID, email, network)
	attempt, err := th.Take(ctx,
		throttle.Limit{Key: perEmailNet, Window: loginWindow, Max: loginMaxPerEmailNet},
		throttle.Limit{Key: th.Key("portal-login-network", network), Window: loginWindow, Max: loginMaxPerNet},
		throttle.Limit{Key: th.Key("portal-login", t.ID, email), Window: loginWindow, Max: loginSlowPerEmail, Slow: true},
	)
	if apperr.Is(err, apperr.RateLimited) {
		p.Error = "Too many failed attempts. Wait 15 minutes, then try again."
		c.Header("Retry-After", "900")
		h.render(c, http.StatusTooManyRequests, views.PortalAuth(p))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := th.Wait(ctx, attempt); err != nil {
		return // the client left; the attempt stays counted
	}
	a, err := h.deps.Accounts.AffiliateLogin(ctx, t.ID, email, c.PostForm("password"))
	switch apperr.CodeOf(err) {
	case "":
	case apperr.Unauthorized:
		p.Error = "Wrong email or password."
		h.render(c, http.StatusUnauthorized, views.PortalAuth(p))
		return
	case apperr.Forbidden: // the right password, an affiliate who may not log in
		p.Error = userMessage(err)
		h.render(c, http.StatusForbidden, views.PortalAuth(p))
		return
	default:
		h.fail(c, err)
		return
	}
	if err := th.Succeeded(ctx, attempt, perEmailNet); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/p/"+t.Slug)
}

// handleLogout deletes the session (not just the cookie).
func (h *Handler) handleLogout(c *gin.Context) {
	if id, err := c.Cookie(sessionCookie); err == nil {
		if err := h.store.DeletePortalSession(c.Request.Context(), ident.Hash(id)); err != nil {
			h.fail(c, err)
			return
		}
	}
	h.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/p/"+tenantOf(c).Slug+"/login")
}
