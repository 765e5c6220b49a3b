package portalpages

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleConversionList shows a keyset page of the affiliate's conversions,
// newest payment first, customers masked.
func (h *Handler) handleConversionList(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	convs, lp, ok := loadList(h, c, v, "/conversions", h.d.Store.AffiliateConversions,
		func(r tracklane.PortalConversion) (time.Time, string) { return r.CreatedAt, r.ID })
	if !ok {
		return
	}
	page := views.PortalConversionsPage{Chrome: h.chrome(c, v, "Conversions", "conversions"), Loc: location(v.Tenant.Timezone),
		Conversions: convs, First: lp.First, FirstURL: lp.FirstURL, NextURL: lp.NextURL}
	h.render(c, http.StatusOK, views.PortalConversions(page))
}

// location is the tenant's timezone (UTC when unset or unknown).
func location(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}
