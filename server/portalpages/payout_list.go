package portalpages

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/views"
)

// handlePayoutList shows a keyset page of the affiliate's payouts, newest
// first.
func (h *Handler) handlePayoutList(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, v, err)
		return
	}
	payouts, err := h.d.Store.AffiliatePayouts(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, pg)
	if err != nil {
		h.fail(c, v, err)
		return
	}
	base := "/p/" + c.Param("slug") + "/payouts"
	page := views.PortalPayoutsPage{Chrome: h.chrome(c, v, "Payouts", "payouts"), Loc: location(v.Tenant.Timezone),
		Payouts: payouts, First: pg.After == nil, FirstURL: base}
	if len(payouts) == pageSize {
		last := payouts[len(payouts)-1]
		page.NextURL = pageURL(base, keyset.Encode(last.CreatedAt, last.ID))
	}
	h.render(c, http.StatusOK, views.PortalPayouts(page))
}
