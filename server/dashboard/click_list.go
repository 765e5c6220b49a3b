package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// maxAffiliateOptions caps the affiliate filter menu.
const maxAffiliateOptions = 500

// clickFilter reads the signed-in tenant and the click filters shared by
// the list and its CSV export: the period and the affiliate.
func (h *Handler) clickFilter(c *gin.Context) (tracklane.Tenant, period, store.ClickFilter, error) {
	t, p, err := h.tenantPeriod(c)
	if err != nil {
		return t, p, store.ClickFilter{}, err
	}
	f := store.ClickFilter{From: p.start, To: p.end}
	f.AffiliateID, err = h.affiliateFilter(c)
	return t, p, f, err
}

// handleClickList shows a keyset page of clicks, newest first.
func (h *Handler) handleClickList(c *gin.Context) {
	ctx := c.Request.Context()
	t, p, filter, err := h.clickFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	affID := filter.AffiliateID
	clicks, pg, err := rowsAfter(c, func(pg store.Page) ([]tracklane.Click, error) {
		return h.store.Clicks(ctx, t.ID, filter, pg)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	options, names, err := h.affiliateNames(c, idsOf(clicks, func(k tracklane.Click) string { return k.AffiliateID }))
	if err != nil {
		h.fail(c, err)
		return
	}
	filters := append(periodQuery(p), "affiliate", affID)
	page := views.ClicksPage{
		Chrome: h.chrome(c, "Clicks", "clicks"), Period: p.view, Loc: p.loc,
		Affiliates: options, AffiliateID: affID, Clicks: clicks, Names: names,
		First: pg.After == nil, FirstURL: views.Link("/clicks", filters...),
		CSVURL: views.Link("/clicks.csv", filters...), HasAny: len(options) > 0,
	}
	if len(clicks) == pageSize {
		last := clicks[len(clicks)-1]
		page.NextURL = views.Link("/clicks", append(filters, "after", keyset.Encode(last.CreatedAt, last.ID))...)
	}
	h.render(c, http.StatusOK, views.Clicks(page))
}

// idsOf is the id of each row, by id (in the rows' order, repeats kept).
func idsOf[T any](rows []T, id func(T) string) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = id(r)
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
