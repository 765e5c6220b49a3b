package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// stripeTokenName names the personal tokens made for the Stripe App.
const stripeTokenName = "Stripe App"

// handleStripeTokenCreate makes a personal token for the Stripe App and
// shows it once, with the Tenant ID beside it and the next step, on the
// page it was asked from: the Overview's getting-started card (from =
// "overview") or the Stripe section of Settings. Only its hash is kept, so
// it cannot be shown again; the merchant makes another if it is lost.
func (h *Handler) handleStripeTokenCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	token, err := h.deps.Accounts.CreateToken(c.Request.Context(), t.ID, stripeTokenName)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.setFlash(c, flash{Kind: flashStripeToken, Value: token}); err != nil {
		h.fail(c, err)
		return
	}
	if c.PostForm("from") == "overview" {
		c.Redirect(http.StatusSeeOther, "/#connect-stripe")
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings#stripe")
}
