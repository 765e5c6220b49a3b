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

// kindOf is the page (views.PortalAuthPage.Kind) of a link's purpose.
func kindOf(purpose tracklane.TokenPurpose) string {
	switch purpose {
	case tracklane.PurposeInvite:
		return "invite"
	case tracklane.PurposeConfirmEmail:
		return "confirm"
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

// liveLink is the first step of a one-use link's POST: the network's
// link throttle, then the link itself, live and of this program. It
// answers the request itself (429, 410, an error page) and returns false
// when the link cannot be used.
func (h *Handler) liveLink(c *gin.Context, purpose tracklane.TokenPurpose) bool {
	ctx := c.Request.Context()
	th := h.deps.Throttle
	_, err := th.Take(ctx, throttle.Limit{Key: th.Key("portal-link", ratelimit.ClientKey(c.ClientIP())), Window: linkUseWindow, Max: linkUseMaxNet})
	if apperr.Is(err, apperr.RateLimited) {
		c.Header("Retry-After", "3600")
		h.answer(c, http.StatusTooManyRequests, "Too many attempts", "Too many new passwords were tried from your network. Wait an hour, then try again.")
		return false
	}
	if err != nil {
		h.fail(c, err)
		return false
	}
	tok, err := h.deps.Accounts.CheckLink(ctx, c.Param("token"), purpose)
	if errors.Is(err, store.ErrLinkGone) || (err == nil && tok.TenantID != tenantOf(c).ID) {
		h.linkGone(c)
		return false
	}
	if err != nil {
		h.fail(c, err)
		return false
	}
	return true
}

// handleLinkUse sets the new password through a one-use link (the
// affiliate's other links die and their sessions end). An invitation then
// signs the affiliate in (when active); a reset sends them to log in.
func (h *Handler) handleLinkUse(purpose tracklane.TokenPurpose) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		t := tenantOf(c)
		if !h.liveLink(c, purpose) {
			return
		}
		secret := c.Param("token")
		tok, err := h.deps.Accounts.UseLink(ctx, secret, purpose, c.PostForm("password"))
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

// handleConfirm confirms an applicant's address through the link mailed
// when they applied (approval auto): they become active and are signed
// in; when the program has since turned to manual approval, they wait for
// the merchant instead. Opening the link (GET) changes nothing: mail
// scanners follow links; the page's button posts here.
func (h *Handler) handleConfirm(c *gin.Context) {
	if !h.liveLink(c, tracklane.PurposeConfirmEmail) {
		return
	}
	a, err := h.deps.Accounts.ConfirmEmail(c.Request.Context(), tenantOf(c), c.Param("token"))
	if errors.Is(err, store.ErrLinkGone) {
		h.linkGone(c)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if a.Status != tracklane.AffiliateActive {
		h.answer(c, http.StatusOK, "Your email is confirmed",
			"The merchant reviews your application; you will get an email once you can log in.")
		return
	}
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, programPath(c))
}
