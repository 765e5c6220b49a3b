package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// Reset requests, every one counted: per network, and per email (so
// nobody floods one inbox).
const (
	forgotWindow    = time.Hour
	forgotMaxNet    = 10
	forgotMaxEmail  = 3
	linkUseWindow   = time.Hour
	linkUseMaxNet   = 20
	forgotAnswerMsg = "If this email is in the program, a link to choose a new password is on its way. It works once, for 1 hour."
)

func (h *Handler) handleForgotForm(c *gin.Context) {
	p := h.page(c, "forgot")
	p.CSRF = h.anonCSRF(c)
	h.render(c, http.StatusOK, views.PortalAuth(p))
}

// handleForgot mails a reset link to the affiliate with this email, if
// there is one, and answers the same page either way.
func (h *Handler) handleForgot(c *gin.Context) {
	ctx := c.Request.Context()
	t := tenantOf(c)
	email := tracklane.FoldEmail(c.PostForm("email"))
	p := h.page(c, "forgot")
	p.CSRF, p.Email = h.anonCSRF(c), email
	th := h.deps.Throttle
	_, err := th.Take(ctx,
		throttle.Limit{Key: th.Key("portal-forgot-network", ratelimit.ClientKey(c.ClientIP())), Window: forgotWindow, Max: forgotMaxNet},
		throttle.Limit{Key: th.Key("portal-forgot", t.ID, email), Window: forgotWindow, Max: forgotMaxEmail},
	)
	if apperr.Is(err, apperr.RateLimited) {
		p.Error = "Too many requests for a new password. Wait an hour, then try again."
		c.Header("Retry-After", "3600")
		h.render(c, http.StatusTooManyRequests, views.PortalAuth(p))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.deps.Accounts.RequestAffiliateReset(ctx, t, email); err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.fail(c, err)
			return
		}
		p.Error = userMessage(err)
		h.render(c, http.StatusBadRequest, views.PortalAuth(p))
		return
	}
	h.answer(c, http.StatusOK, "Check your email", forgotAnswerMsg)
}
