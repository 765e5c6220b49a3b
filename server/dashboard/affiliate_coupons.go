package dashboard

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// handleAffiliateCoupons replaces the Stripe promotion codes assigned to an
// affiliate (one form field, codes separated by commas or spaces); a code
// another affiliate holds shows the page again with the message.
func (h *Handler) handleAffiliateCoupons(c *gin.Context) {
	ctx := c.Request.Context()
	t, a, ok := h.tenantAffiliate(c)
	if !ok {
		return
	}
	typed := c.PostForm("coupons")
	codes := strings.FieldsFunc(typed, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if _, err := h.deps.Accounts.SetCoupons(ctx, t.ID, a.ID, codes); err != nil {
		status, msg := h.userMessage(c, err)
		page, perr := h.affiliateEditPage(c, t, a, affiliateForm(a))
		if perr != nil {
			h.fail(c, perr)
			return
		}
		page.Coupons = typed
		page.Chrome.Error = msg
		h.render(c, status, views.AffiliateEdit(page))
		return
	}
	c.Redirect(http.StatusSeeOther, "/affiliates/"+a.ID+"?ok=coupons-saved")
}
