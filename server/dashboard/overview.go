package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// topAffiliates is how many affiliates the overview ranks.
const topAffiliates = 5

// handleOverview shows the period's totals, the daily chart and the top
// affiliates, all read from the daily rollups.
func (h *Handler) handleOverview(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.overviewPage(c, t)
	if err != nil {
		h.fail(c, err)
		return
	}
	if f, ok := h.takeFlash(c, flashStripeToken); ok {
		page.Connect.NewToken = f.Value
	}
	h.render(c, http.StatusOK, views.Overview(page))
}

// overviewPage gathers the overview of the period in the query (30 days
// by default).
func (h *Handler) overviewPage(c *gin.Context, t tracklane.Tenant) (views.OverviewPage, error) {
	ctx := c.Request.Context()
	p, err := readPeriod(c.Request.URL.Query(), t.Timezone, h.now(), "30d")
	if err != nil {
		return views.OverviewPage{}, err
	}
	stats, err := h.store.TenantOverview(ctx, t.ID, p.days)
	if err != nil {
		return views.OverviewPage{}, err
	}
	top, err := h.store.TopAffiliates(ctx, t.ID, p.days, topAffiliates)
	if err != nil {
		return views.OverviewPage{}, err
	}
	setup, err := h.setup(c, t.ID, stats)
	if err != nil {
		return views.OverviewPage{}, err
	}
	return views.OverviewPage{
		Chrome: h.chrome(c, "Overview", "overview"), Period: p.view, Stats: stats,
		Chart: views.NewChart(stats.Days), Top: top, Setup: setup,
		Connect: h.stripeConnect(c, t.ID, "overview"),
	}, nil
}

// setup works out the getting-started checklist; the cheap answers come
// first, so a tenant that is set up pays for one query at most.
func (h *Handler) setup(c *gin.Context, tenantID string, stats tracklane.Overview) (views.Setup, error) {
	ctx := c.Request.Context()
	var s views.Setup
	if stats.Clicks > 0 {
		s.HasAffiliate, s.HasClick = true, true
	} else {
		affs, err := h.store.Affiliates(ctx, tenantID, store.Page{Limit: 1})
		if err != nil {
			return s, err
		}
		s.HasAffiliate = len(affs) > 0
		if s.HasAffiliate {
			clicks, err := h.store.Clicks(ctx, tenantID, store.ClickFilter{}, store.Page{Limit: 1})
			if err != nil {
				return s, err
			}
			s.HasClick = len(clicks) > 0
		}
	}
	conns, err := h.store.TenantConnections(ctx, tenantID)
	if err != nil {
		return s, err
	}
	for _, conn := range conns {
		s.HasStripe = s.HasStripe || conn.Active
	}
	return s, nil
}

// tenant loads the signed-in tenant.
func (h *Handler) tenant(c *gin.Context) (tracklane.Tenant, error) {
	return h.store.Tenant(c.Request.Context(), tenantID(c))
}
