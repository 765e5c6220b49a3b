package portalpages

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleHome shows the affiliate's link, codes, the period's numbers and
// the daily chart, all from the daily rollups.
func (h *Handler) handleHome(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	period, days, err := readPeriod(c.Query("period"), v.Tenant.Timezone, h.d.Now())
	if err != nil {
		h.fail(c, v, err)
		return
	}
	sum, err := h.d.Store.AffiliateSummary(ctx, v.Tenant.ID, v.Affiliate.ID, days)
	if err != nil {
		h.fail(c, v, err)
		return
	}
	coupons, err := h.d.Store.AffiliateCoupons(ctx, v.Tenant.ID, []string{v.Affiliate.ID})
	if err != nil {
		h.fail(c, v, err)
		return
	}
	h.render(c, http.StatusOK, views.PortalHome(views.PortalHomePage{
		Chrome: h.chrome(c, v, "Home", "home"), Period: period,
		Link: h.d.PublicURL + "/r/" + v.Affiliate.Code, Coupons: coupons[v.Affiliate.ID],
		Summary: sum, Chart: views.NewChart(sum.Days), StatusNote: statusNote(v.Affiliate.Status),
	}))
}

// statusNote explains, to an affiliate who is not active, why their link
// records no clicks (SPEC section 8: only an active affiliate's code does).
func statusNote(s tracklane.AffiliateStatus) string {
	switch s {
	case tracklane.AffiliatePending:
		return "Your application is waiting for the program's approval. Until then your link sends visitors on but records no clicks."
	case tracklane.AffiliateRejected:
		return "The program did not accept your application: your link records no clicks."
	case tracklane.AffiliateSuspended:
		return "The program has suspended your account: your link records no clicks for now."
	}
	return ""
}

// readPeriod reads ?period=7d|30d|90d (default 30d) as the last days up to
// today in the tenant's timezone.
func readPeriod(key, tz string, now time.Time) (views.Period, tracklane.DayRange, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc = time.UTC
	}
	if key == "" {
		key = "30d"
	}
	var n int
	switch key {
	case "7d", "30d", "90d":
		n, _ = strconv.Atoi(key[:len(key)-1])
	default:
		return views.Period{}, tracklane.DayRange{}, apperr.Errorf(apperr.Invalid, "period must be 7d, 30d or 90d")
	}
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	r := tracklane.DayRange{From: today.AddDate(0, 0, -(n - 1)), To: today.AddDate(0, 0, 1)}
	return views.Period{Key: key, From: r.From.Format(time.DateOnly), To: today.Format(time.DateOnly),
		Label: "Last " + key[:len(key)-1] + " days", Timezone: loc.String()}, r, nil
}
