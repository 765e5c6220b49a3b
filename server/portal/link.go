package portal

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

func kindOf(purpose tracklane.TokenPurpose) string {
	if purpose == tracklane.PurposeInvite {
		return "invite"
	}
	return "reset"
}

// linkGone answers a one-use link that is unknown, used, expired or of
// another program: 410, nothing changes.
func (h *Handler) linkGone(c *gin.Context) {
	h.answer(c, http.StatusGone, "This link no longer works",
		"It has expired or was already used. Ask for a new one: on the log-in page, choose “Forgot your password?”.")
}

// handleLinkForm shows a live one-use link's new-password form.
func (h *Handler) handleLinkForm(purpose tracklane.TokenPurpose) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, err := h.deps.Accounts.CheckLink(c.Request.Context(), c.Param("token"), purpose)
		if errors.Is(err, store.ErrLinkGone) || (err == nil && tok.TenantID != tenantOf(c).ID) {
			h.linkGone(c)
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		p := h.page(c, kindOf(purpose))
		p.CSRF, p.Token = h.anonCSRF(c), c.Param("token")
		h.render(c, http.StatusOK, views.PortalAuth(p))
	}
}

// handleLinkUse sets the new password through a one-use link. An
// invitation then signs the affiliate in (when active); a reset sends
// them to log in.
func (h *Handler) handleLinkUse(purpose tracklane.TokenPurpose) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		t := tenantOf(c)
		th := h.deps.Throttle
		_, err := th.Take(ctx, throttle.Limit{Key: th.Key("portal-link", ratelimit.ClientKey(c.ClientIP())), Window: linkUseWindow, Max: linkUseMaxNet})
		if apperr.Is(err, apperr.RateLimited) {
			c.Header("Retry-After", "3600")
			h.answer(c, http.StatusTooManyRequests, "Too many attempts", "Too many new passwords were tried from your network. Wait an hour, then try again.")
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		secret := c.Param("token")
		tok, err := h.deps.Accounts.CheckLink(ctx, secret, purpose)
		if errors.Is(err, store.ErrLinkGone) || (err == nil && tok.TenantID != t.ID) {
			h.linkGone(c)
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		tok, err = h.deps.Accounts.UseLink(ctx, secret, purpose, c.PostForm("password"))
		if errors.Is(err, store.ErrLinkGone) {
			h.linkGone(c)
			return
		}
		if err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				h.fail(c, err)
				return
			}
			p := h.page(c, kindOf(purpose))
			p.CSRF, p.Token, p.Error = h.anonCSRF(c), secret, userMessage(err)
			h.render(c, http.StatusBadRequest, views.PortalAuth(p))
			return
		}
		if purpose == tracklane.PurposeInvite {
			if a, err := h.store.Affiliate(ctx, t.ID, tok.AffiliateID); err == nil && a.Status == tracklane.AffiliateActive {
				if err := h.startSession(c, a); err != nil {
					h.fail(c, err)
					return
				}
				c.Redirect(http.StatusSeeOther, "/p/"+t.Slug)
				return
			}
		}
		c.Redirect(http.StatusSeeOther, "/p/"+t.Slug+"/login?ok=password-set")
	}
}
