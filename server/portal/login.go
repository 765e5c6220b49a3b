package portal

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

func (h *Handler) handleLoginForm(c *gin.Context) {
	if _, err := h.signin.Current(c); err == nil {
		c.Redirect(http.StatusSeeOther, programPath(c))
		return
	}
	p := h.page(c, "login")
	p.CSRF = h.anonCSRF(c)
	if c.Query("ok") == "password-set" {
		p.Notice = "Your password is saved. Log in with it."
	}
	h.render(c, http.StatusOK, views.PortalAuth(p))
}

// handleLogin logs an affiliate in to the program (signin.Kind.LogIn:
// throttled per program, checked by account.Service.AffiliateLogin).
func (h *Handler) handleLogin(c *gin.Context) {
	t := tenantOf(c)
	email := tracklane.FoldEmail(c.PostForm("email"))
	p := h.page(c, "login")
	p.CSRF, p.Email = h.anonCSRF(c), email
	var aff tracklane.Affiliate
	err := h.signin.LogIn(c, email, t.ID, func(ctx context.Context) (store.SessionOwner, error) {
		a, err := h.deps.Accounts.AffiliateLogin(ctx, t.ID, email, c.PostForm("password"))
		aff = a
		return affiliateOwner(a), err
	})
	status, msg, refused := signin.Refusal(c, err)
	switch {
	case err == nil:
	case refused:
		p.Error = msg
		h.render(c, status, views.PortalAuth(p))
		return
	case apperr.Is(err, apperr.Forbidden): // the right password, an affiliate who may not log in
		p.Error = userMessage(err)
		h.render(c, http.StatusForbidden, views.PortalAuth(p))
		return
	case errors.Is(err, signin.ErrLeft):
		return // the attempt stays counted
	default:
		h.fail(c, err)
		return
	}
	h.noteBrowser(c, aff.TenantID, aff.ID, h.now())
	c.Redirect(http.StatusSeeOther, programPath(c))
}

// handleLogout ends the session (not just the cookie).
func (h *Handler) handleLogout(c *gin.Context) {
	if err := h.signin.End(c); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, programPath(c)+"/login")
}
