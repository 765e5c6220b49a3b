package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
)

type clickJSON struct {
	ID          string  `json:"id"`
	AffiliateID string  `json:"affiliate_id"`
	LandingURL  string  `json:"landing_url"`
	Referrer    string  `json:"referrer"`
	CreatedAt   string  `json:"created_at"`
	ExternalCID *string `json:"external_cid"`
	UTMSource   string  `json:"utm_source"`
	UTMMedium   string  `json:"utm_medium"`
	UTMCampaign string  `json:"utm_campaign"`
	UTMTerm     string  `json:"utm_term"`
	UTMContent  string  `json:"utm_content"`
	Device      string  `json:"device"`
	createdAt   time.Time
}

func (h *Handler) handleClickList(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	aff, err := h.filterAffiliate(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	rows, err := h.store.Clicks(c.Request.Context(), tenantOf(c), store.ClickFilter{AffiliateID: aff}, p)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]clickJSON, len(rows))
	for i, r := range rows {
		out[i] = clickJSON{
			ID: r.ID, AffiliateID: r.AffiliateID, LandingURL: r.LandingURL, Referrer: r.Referrer,
			CreatedAt: rfc3339(r.CreatedAt), UTMSource: r.UTMSource, UTMMedium: r.UTMMedium,
			UTMCampaign: r.UTMCampaign, UTMTerm: r.UTMTerm, UTMContent: r.UTMContent, Device: r.Device,
			createdAt: r.CreatedAt,
		}
		if r.ExternalCID != "" {
			e := r.ExternalCID
			out[i].ExternalCID = &e
		}
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, func(r clickJSON) (time.Time, string) { return r.createdAt, r.ID }))
}
