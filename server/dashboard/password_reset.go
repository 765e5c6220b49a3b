package dashboard

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// Reset requests and new passwords through a link, every one counted:
// per network, and requests per email (so nobody floods one inbox).
const (
	resetWindow      = time.Hour
	resetMaxNet      = 10
	resetMaxEmail    = 3
	resetUseMaxNet   = 20
	resetAnswerTitle = "Check your email"
	resetAnswer      = "If this email has an account, a link to choose a new password is on its way. It works once, for 1 hour."
)

// resetNotice is the log-in page's message after a new password was set.
func resetNotice(ok string) string {
	if ok == "password-set" {
		return notice(ok)
	}
	return ""
}

func (h *Handler) handleForgotForm(c *gin.Context) {
	h.render(c, http.StatusOK, views.Reset(views.ResetPage{Kind: "forgot", CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery}))
}

// handleForgot mails a reset link to the user with this email, if there
// is one, and answers the same page either way.
func (h *Handler) handleForgot(c *gin.Context) {
	ctx := c.Request.Context()
	email := tracklane.FoldEmail(c.PostForm("email"))
	page := views.ResetPage{Kind: "forgot", CSRF: h.anonCSRF(c), Email: email, AssetQuery: h.assetQuery}
	_, err := h.throttle.Take(ctx,
		throttle.Limit{Key: h.throttle.Key("forgot-network", ratelimit.ClientKey(c.ClientIP())), Window: resetWindow, Max: resetMaxNet},
		throttle.Limit{Key: h.throttle.Key("forgot", email), Window: resetWindow, Max: resetMaxEmail},
	)
	if apperr.Is(err, apperr.RateLimited) {
		page.Error = "Too many requests for a new password. Wait an hour, then try again."
		c.Header("Retry-After", "3600")
		h.render(c, http.StatusTooManyRequests, views.Reset(page))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.deps.Accounts.RequestUserReset(ctx, email); err != nil {
		status, msg := h.userMessage(c, err)
		page.Error = msg
		h.render(c, status, views.Reset(page))
		return
	}
	h.render(c, http.StatusOK, views.Reset(views.ResetPage{Kind: "answer", Heading: resetAnswerTitle, Message: resetAnswer, AssetQuery: h.assetQuery}))
}

func (h *Handler) resetGone(c *gin.Context) {
	h.render(c, http.StatusGone, views.Reset(views.ResetPage{Kind: "answer", Status: http.StatusGone,
		Heading: "This link no longer works", AssetQuery: h.assetQuery,
		Message: "It has expired or was already used. Ask for a new one: on the log-in page, choose “Forgot your password?”."}))
}

func (h *Handler) handleResetForm(c *gin.Context) {
	_, err := h.deps.Accounts.CheckLink(c.Request.Context(), c.Param("token"), tracklane.PurposeUserReset)
	if errors.Is(err, store.ErrLinkGone) {
		h.resetGone(c)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.Reset(views.ResetPage{Kind: "reset", CSRF: h.anonCSRF(c), Token: c.Param("token"), AssetQuery: h.assetQuery}))
}

// handleReset sets the new password through the link (which ends the
// user's sessions) and sends them to log in.
func (h *Handler) handleReset(c *gin.Context) {
	ctx := c.Request.Context()
	_, err := h.throttle.Take(ctx, throttle.Limit{Key: h.throttle.Key("reset-network", ratelimit.ClientKey(c.ClientIP())), Window: resetWindow, Max: resetUseMaxNet})
	if apperr.Is(err, apperr.RateLimited) {
		c.Header("Retry-After", "3600")
		h.render(c, http.StatusTooManyRequests, views.Reset(views.ResetPage{Kind: "answer", Status: http.StatusTooManyRequests,
			Heading: "Too many attempts", Message: "Too many new passwords were tried from your network. Wait an hour, then try again.", AssetQuery: h.assetQuery}))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	_, err = h.deps.Accounts.CheckLink(ctx, c.Param("token"), tracklane.PurposeUserReset)
	if err == nil {
		_, err = h.deps.Accounts.UseLink(ctx, c.Param("token"), tracklane.PurposeUserReset, c.PostForm("password"))
	}
	if errors.Is(err, store.ErrLinkGone) {
		h.resetGone(c)
		return
	}
	if err != nil {
		status, msg := h.userMessage(c, err)
		h.render(c, status, views.Reset(views.ResetPage{Kind: "reset", CSRF: h.anonCSRF(c), Token: c.Param("token"), Error: msg, AssetQuery: h.assetQuery}))
		return
	}
	c.Redirect(http.StatusSeeOther, "/login?ok=password-set")
}
