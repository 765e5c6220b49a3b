package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
)

// integrationGrace is how far before the test page was shown its steps
// look for a click.
const integrationGrace = 30 * time.Second

// integrationStatus is the JSON the integration page polls.
type integrationStatus struct {
	Click *statusClick `json:"click"`
	Link  *statusLink  `json:"link"`
}

type statusClick struct {
	At         string `json:"at"`
	LandingURL string `json:"landing_url"`
	Device     string `json:"device"`
}

type statusLink struct {
	At       string `json:"at"`
	Customer string `json:"customer"`
}

// handleIntegrationStatus answers whether a click of the affiliate, and an
// email link to one, arrived since the test page was shown. Both reads are
// single index probes (clicks by tenant+affiliate+time; links by time, BRIN).
func (h *Handler) handleIntegrationStatus(c *gin.Context) {
	ctx := c.Request.Context()
	a, err := h.integrationAffiliate(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	ms, err := strconv.ParseInt(c.Query("since"), 10, 64)
	if err != nil {
		respond.Errorf(c, apperr.Invalid, "since must be a time in Unix milliseconds")
		return
	}
	since := time.UnixMilli(ms)
	var out integrationStatus
	click, ok, err := h.store.LatestClick(ctx, a.TenantID, a.ID, since)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if ok {
		out.Click = &statusClick{At: click.CreatedAt.UTC().Format(time.RFC3339), LandingURL: click.LandingURL, Device: click.Device}
	}
	link, ok, err := h.store.LatestLink(ctx, a.TenantID, a.ID, since)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if ok && !link.ClickCreatedAt.Before(since) {
		out.Link = &statusLink{At: link.CreatedAt.UTC().Format(time.RFC3339), Customer: link.ExternalCID}
	}
	c.JSON(http.StatusOK, out)
}
