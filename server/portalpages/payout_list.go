package portalpages

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handlePayoutList shows a keyset page of the affiliate's payouts, newest
// first.
func (h *Handler) handlePayoutList(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	payouts, lp, ok := loadList(h, c, v, "/payouts", h.d.Store.AffiliatePayouts,
		func(r tracklane.Payout) (time.Time, string) { return r.CreatedAt, r.ID })
	if !ok {
		return
	}
	page := views.PortalPayoutsPage{Chrome: h.chrome(c, v, "Payouts", "payouts"), Loc: location(v.Tenant.Timezone),
		Payouts: payouts, First: lp.First, FirstURL: lp.FirstURL, NextURL: lp.NextURL}
	h.render(c, http.StatusOK, views.PortalPayouts(page))
}
