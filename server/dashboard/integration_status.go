package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// integrationGrace is how far before the test page was shown its steps
// look for a click.
const integrationGrace = 30 * time.Second

// integrationStatus is the JSON the integration page polls.
type integrationStatus struct {
	Click *statusClick `json:"click"`
	Link  *statusLink  `json:"link"`
	// EarlierClick is the affiliate's newest click in the hour before
	// since, when none came after it: a repeat visit within an hour (same
	// cookie, or same network and browser) keeps that click instead of
	// making a new one, so the page offers to go on with it.
	EarlierClick *statusClick `json:"earlier_click"`
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
	since, err := readSince(c.Query("since"), h.now())
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	var out integrationStatus
	click, ok, err := h.store.LatestClick(ctx, a.TenantID, a.ID, since)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if ok {
		out.Click = &statusClick{At: click.CreatedAt.UTC().Format(time.RFC3339), LandingURL: click.LandingURL, Device: click.Device}
	} else {
		earlier, ok, err := h.store.LatestClick(ctx, a.TenantID, a.ID, since.Add(-tracklane.RepeatWindow))
		if err != nil {
			respond.Error(c, h.log, err)
			return
		}
		if ok {
			out.EarlierClick = &statusClick{At: earlier.CreatedAt.UTC().Format(time.RFC3339), LandingURL: earlier.LandingURL, Device: earlier.Device}
		}
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

// readSince reads the poll's since: a time in Unix milliseconds, not before
// 1970 and not more than a day ahead (any other would reach SQL out of
// PostgreSQL's range, or mean nothing).
func readSince(v string, now time.Time) (time.Time, error) {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 0 || ms > now.Add(24*time.Hour).UnixMilli() {
		return time.Time{}, apperr.Errorf(apperr.Invalid, "since must be a time in Unix milliseconds, not before 1970 and not in the future")
	}
	return time.UnixMilli(ms), nil
}
