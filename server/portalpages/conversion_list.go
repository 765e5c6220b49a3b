package portalpages

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/views"
)

// handleConversionList shows a keyset page of the affiliate's conversions,
// newest payment first, customers masked.
func (h *Handler) handleConversionList(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, v, err)
		return
	}
	convs, err := h.d.Store.AffiliateConversions(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, pg)
	if err != nil {
		h.fail(c, v, err)
		return
	}
	base := "/p/" + c.Param("slug") + "/conversions"
	page := views.PortalConversionsPage{Chrome: h.chrome(c, v, "Conversions", "conversions"), Loc: location(v.Tenant.Timezone),
		Conversions: convs, First: pg.After == nil, FirstURL: base}
	if len(convs) == pageSize {
		last := convs[len(convs)-1]
		page.NextURL = pageURL(base, keyset.Encode(last.CreatedAt, last.ID))
	}
	h.render(c, http.StatusOK, views.PortalConversions(page))
}

// location is the tenant's timezone (UTC when unset or unknown).
func location(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}
