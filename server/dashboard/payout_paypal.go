package dashboard

import (
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handlePayoutPayPal downloads the PayPal Payouts bulk file of the pending
// payouts (the same file as the API's paypal.csv); payouts without a
// payout email are left out and listed on the Payouts page.
func (h *Handler) handlePayoutPayPal(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="paypal-payouts.csv"`)
	c.Status(200)
	if err := apishape.WritePayPal(c.Writer, t.Name, func(fn func(tracklane.Payout) error) error {
		return h.store.EachPayout(ctx, t.ID, tracklane.PayoutPending, fn)
	}); err != nil {
		h.log.ErrorContext(ctx, "writing the PayPal file", "err", err)
	}
}
