package portal

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// Applications per network (an IPv4 address, an IPv6 /64), every one
// counted: each costs a bcrypt hash and mails someone.
const (
	joinWindow = time.Hour
	joinMax    = 10
)

func (h *Handler) handleJoinForm(c *gin.Context) {
	p := h.page(c, "join")
	p.CSRF = h.anonCSRF(c)
	h.render(c, http.StatusOK, views.PortalAuth(p))
}

// handleJoin takes an application (account.Service.Apply). A new email and
// one already in the program get the same answer page; only the mail that
// goes to the address differs.
func (h *Handler) handleJoin(c *gin.Context) {
	ctx := c.Request.Context()
	t := tenantOf(c)
	p := h.page(c, "join")
	p.CSRF, p.Name, p.Email, p.Code, p.PayoutEmail = h.anonCSRF(c), c.PostForm("name"), c.PostForm("email"), c.PostForm("code"), c.PostForm("payout_email")
	_, err := h.deps.Throttle.Take(ctx, throttle.Limit{
		Key: h.deps.Throttle.Key("portal-join", ratelimit.ClientKey(c.ClientIP())), Window: joinWindow, Max: joinMax,
	})
	if apperr.Is(err, apperr.RateLimited) {
		p.Error = "Too many applications from your network in the last hour. Try again later."
		c.Header("Retry-After", "3600")
		h.render(c, http.StatusTooManyRequests, views.PortalAuth(p))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	err = h.deps.Accounts.Apply(ctx, t, account.Application{
		Name: p.Name, Email: p.Email, Password: c.PostForm("password"), Code: p.Code, PayoutEmail: p.PayoutEmail,
	})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			h.fail(c, err)
			return
		}
		p.Error = userMessage(err)
		h.render(c, respond.Status(apperr.CodeOf(err)), views.PortalAuth(p))
		return
	}
	msg := "We have received your application to " + t.Name + "'s affiliate program. The merchant reviews it; you will get an email once you can log in."
	if t.AffiliateApproval == tracklane.ApprovalAuto {
		msg = "We have received your application to " + t.Name + "'s affiliate program. Check your email: open the link we sent to confirm your address, then you can log in."
	}
	h.answer(c, http.StatusOK, "Thank you for applying", msg)
}
