package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/views"
)

// handlePayoutStatement shows one affiliate's statement: what they are
// owed now, their payouts, the clawback ledger and recent conversions.
func (h *Handler) handlePayoutStatement(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	a, err := h.store.Affiliate(ctx, t.ID, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.PayoutStatementPage{Chrome: h.chrome(c, a.Name+" · statement", "payouts"), Loc: location(t.Timezone),
		Affiliate: a, Minimum: t.PayoutMinimum}
	if page.Balances, err = h.store.PayoutBalances(ctx, t.ID, a.ID, 100); err != nil {
		h.fail(c, err)
		return
	}
	if page.Payouts, err = h.store.Payouts(ctx, t.ID, store.PayoutFilter{AffiliateID: a.ID}, store.Page{Limit: 200}); err != nil {
		h.fail(c, err)
		return
	}
	if page.Debts, err = h.store.PayoutDebts(ctx, t.ID, a.ID); err != nil {
		h.fail(c, err)
		return
	}
	if page.Conversions, err = h.store.Conversions(ctx, t.ID, store.ConversionFilter{AffiliateID: a.ID}, store.Page{Limit: 100}); err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.PayoutStatement(page))
}
