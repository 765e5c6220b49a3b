package dashboard

import (
	"net/http"

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
	w := &firstWrite{c: c}
	if err := apishape.WritePayPal(w, t.Name, func(fn func(tracklane.Payout) error) error {
		return h.store.EachPayout(ctx, t.ID, tracklane.PayoutPending, fn)
	}); err != nil {
		if !w.started {
			h.fail(c, err)
			return
		}
		h.log.ErrorContext(ctx, "writing the PayPal file", "err", err)
		return
	}
	if !w.started {
		// An empty file would download without a word: say why instead.
		c.Redirect(http.StatusSeeOther, "/payouts?ok=paypal-empty")
	}
}

// firstWrite streams the file, sending its headers with the first row, so
// that a file with no row can be answered with a page instead.
type firstWrite struct {
	c       *gin.Context
	started bool
}

func (w *firstWrite) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.c.Header("Content-Type", "text/csv; charset=utf-8")
		w.c.Header("Content-Disposition", `attachment; filename="paypal-payouts.csv"`)
		w.c.Status(http.StatusOK)
	}
	return w.c.Writer.Write(p)
}
