package dashboard

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleClickCSV streams the clicks of the filtered period as CSV, newest
// first, paging through the store with the keyset cursor.
func (h *Handler) handleClickCSV(c *gin.Context) {
	t, p, filter, err := h.clickFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	streamCSV(h, c, csvExport[tracklane.Click]{
		what:     "click",
		filename: "clicks-" + p.view.From + "-to-" + p.view.To + ".csv",
		header: []string{
			"time", "click_id", "affiliate_id", "affiliate", "landing_url", "referrer",
			"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "device", "customer"},
		list: func(ctx context.Context, pg store.Page) ([]tracklane.Click, error) {
			return h.store.Clicks(ctx, t.ID, filter, pg)
		},
		position:  func(k tracklane.Click) store.Cursor { return store.Cursor{Time: k.CreatedAt, ID: k.ID} },
		affiliate: func(k tracklane.Click) string { return k.AffiliateID },
		record: func(k tracklane.Click, affiliate string) []string {
			return []string{k.CreatedAt.UTC().Format(time.RFC3339), k.ID, k.AffiliateID, affiliate, k.LandingURL, k.Referrer,
				k.UTMSource, k.UTMMedium, k.UTMCampaign, k.UTMTerm, k.UTMContent, k.Device, k.ExternalCID}
		},
	})
}
