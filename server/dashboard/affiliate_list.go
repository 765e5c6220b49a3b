package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/views"
)

// handleAffiliateList shows a keyset page of affiliates (newest first)
// with their activity over the period, read from the rollups for just the
// affiliates on the page.
func (h *Handler) handleAffiliateList(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	p, err := readPeriod(c.Request.URL.Query(), t.Timezone, h.now(), "30d")
	if err != nil {
		h.fail(c, err)
		return
	}
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, err)
		return
	}
	status, affs, err := h.affiliatesOfStatus(c, t.ID, pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	ids := make([]string, len(affs))
	for i, a := range affs {
		ids[i] = a.ID
	}
	stats, err := h.store.AffiliateStats(ctx, t.ID, ids, p.days)
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
		Affiliates: affs, Stats: stats, Status: status, Counts: counts, First: pg.After == nil, FirstURL: pageURL("/affiliates", filters...),
	}
	if len(affs) == pageSize {
		last := affs[len(affs)-1]
		page.NextURL = pageURL("/affiliates", append(filters, "after", keyset.Encode(last.CreatedAt, last.ID))...)
	}
	h.render(c, http.StatusOK, views.Affiliates(page))
}
