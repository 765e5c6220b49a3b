package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleAffiliateList shows a keyset page of affiliates (newest first)
// with their activity over the period, read from the rollups for just the
// affiliates on the page.
func (h *Handler) handleAffiliateList(c *gin.Context) {
	ctx := c.Request.Context()
	t, p, err := h.tenantPeriod(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var status string
	affs, pg, err := rowsAfter(c, func(pg store.Page) (affs []tracklane.Affiliate, err error) {
		status, affs, err = h.affiliatesOfStatus(c, t.ID, pg)
		return affs, err
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	stats, err := h.store.AffiliateStats(ctx, t.ID, idsOf(affs, func(a tracklane.Affiliate) string { return a.ID }), p.days)
	if err != nil {
		h.fail(c, err)
		return
	}
	filters := periodQuery(p)
	if status != "" {
		filters = append(filters, "status", status)
	}
	counts, err := h.store.CountAffiliatesByStatus(ctx, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.AffiliatesPage{
		Chrome: h.chrome(c, "Affiliates", "affiliates"), Period: p.view, PublicURL: h.deps.Config.PublicURL,
		Affiliates: affs, Stats: stats, Status: status, Counts: counts, First: pg.After == nil, FirstURL: views.Link("/affiliates", filters...),
	}
	if len(affs) == pageSize {
		last := affs[len(affs)-1]
		page.NextURL = views.Link("/affiliates", append(filters, "after", keyset.Encode(last.CreatedAt, last.ID))...)
	}
	h.render(c, http.StatusOK, views.Affiliates(page))
}
