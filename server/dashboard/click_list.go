package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// maxAffiliateOptions caps the affiliate filter menu.
const maxAffiliateOptions = 500

// clickFilter reads the click filters shared by the list and its CSV
// export: the period and the affiliate.
func (h *Handler) clickFilter(c *gin.Context, t tracklane.Tenant) (period, store.ClickFilter, error) {
	p, err := readPeriod(c.Request.URL.Query(), t.Timezone, h.now(), "30d")
	if err != nil {
		return p, store.ClickFilter{}, err
	}
	f := store.ClickFilter{From: p.start, To: p.end}
	f.AffiliateID, err = h.affiliateFilter(c)
	return p, f, err
}

// handleClickList shows a keyset page of clicks, newest first.
func (h *Handler) handleClickList(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	p, filter, err := h.clickFilter(c, t)
	if err != nil {
		h.fail(c, err)
		return
	}
	affID := filter.AffiliateID
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, err)
		return
	}
	clicks, err := h.store.Clicks(ctx, t.ID, filter, pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	options, names, err := h.affiliateNames(c, clickAffiliates(clicks))
	if err != nil {
		h.fail(c, err)
		return
	}
	filters := append(periodQuery(p), "affiliate", affID)
	page := views.ClicksPage{
		Chrome: h.chrome(c, "Clicks", "clicks"), Period: p.view, Loc: p.loc,
		Affiliates: options, AffiliateID: affID, Clicks: clicks, Names: names,
		First: pg.After == nil, FirstURL: pageURL("/clicks", filters...),
		CSVURL: pageURL("/clicks.csv", filters...), HasAny: len(options) > 0,
	}
	if len(clicks) == pageSize {
		last := clicks[len(clicks)-1]
		page.NextURL = pageURL("/clicks", append(filters, "after", encodeCursor(last.CreatedAt, last.ID))...)
	}
	h.render(c, http.StatusOK, views.Clicks(page))
}

func clickAffiliates(clicks []tracklane.Click) []string {
	ids := make([]string, 0, len(clicks))
	for _, c := range clicks {
		ids = append(ids, c.AffiliateID)
	}
	return ids
}

// affiliateFilter reads ?affiliate=; another tenant's (or no) affiliate →
// not found.
func (h *Handler) affiliateFilter(c *gin.Context) (string, error) {
	id := c.Query("affiliate")
	if id == "" {
		return "", nil
	}
	if _, err := h.store.Affiliate(c.Request.Context(), tenantID(c), id); err != nil {
		return "", err
	}
	return id, nil
}

// affiliateNames returns the filter menu's choices and the affiliates of
// the rows shown.
func (h *Handler) affiliateNames(c *gin.Context, ids []string) ([]views.Option, map[string]tracklane.Affiliate, error) {
	ctx := c.Request.Context()
	all, err := h.store.AffiliateOptions(ctx, tenantID(c), maxAffiliateOptions)
	if err != nil {
		return nil, nil, err
	}
	options := make([]views.Option, len(all))
	for i, a := range all {
		options[i] = views.Option{Value: a.ID, Label: a.Name + " (" + a.Code + ")"}
	}
	names, err := h.store.AffiliatesByID(ctx, tenantID(c), uniq(ids))
	return options, names, err
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
