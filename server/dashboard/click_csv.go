package dashboard

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleClickCSV streams the clicks of the filtered period as CSV, newest
// first, paging through the store with the keyset cursor.
func (h *Handler) handleClickCSV(c *gin.Context) {
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
	pg := store.Page{Limit: csvPage}
	names := map[string]tracklane.Affiliate{}
	var w *csvWriter
	for {
		clicks, err := h.store.Clicks(ctx, t.ID, filter, pg)
		if err != nil {
			if w == nil {
				h.fail(c, err)
			} else { // the header is out: all we can do is stop
				h.log.ErrorContext(ctx, "click export interrupted", "err", err)
			}
			return
		}
		if err := h.addNames(c, names, clickAffiliates(clicks)); err != nil {
			h.log.ErrorContext(ctx, "click export: affiliate names", "err", err)
		}
		if w == nil {
			w = newCSV(c, "clicks-"+p.view.From+"-to-"+p.view.To+".csv", []string{
				"time", "click_id", "affiliate_id", "affiliate", "landing_url", "referrer",
				"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "device", "customer"})
		}
		for _, k := range clicks {
			w.row(k.CreatedAt.UTC().Format(time.RFC3339), k.ID, k.AffiliateID, names[k.AffiliateID].Name, k.LandingURL, k.Referrer,
				k.UTMSource, k.UTMMedium, k.UTMCampaign, k.UTMTerm, k.UTMContent, k.Device, maskOrEmpty(k.ExternalCID))
		}
		if err := w.flush(); err != nil || len(clicks) < pg.Limit {
			return
		}
		last := clicks[len(clicks)-1]
		pg.After = &store.Cursor{Time: last.CreatedAt, ID: last.ID}
	}
}

// addNames adds the affiliates among ids that names lacks.
func (h *Handler) addNames(c *gin.Context, names map[string]tracklane.Affiliate, ids []string) error {
	var missing []string
	for _, id := range uniq(ids) {
		if _, ok := names[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := h.store.AffiliatesByID(c.Request.Context(), tenantID(c), missing)
	for id, a := range got {
		names[id] = a
	}
	return err
}
