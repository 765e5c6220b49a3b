package portalpages

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleConversionList shows a keyset page of the affiliate's conversions,
// newest payment first, customers masked.
func (h *Handler) handleConversionList(c *gin.Context) {
	showList(h, c, "/conversions", "Conversions", h.d.Store.AffiliateConversions,
		func(r tracklane.PortalConversion) (time.Time, string) { return r.CreatedAt, r.ID }, views.PortalConversions)
}

// handlePayoutList shows a keyset page of the affiliate's payouts, newest
// first.
func (h *Handler) handlePayoutList(c *gin.Context) {
	showList(h, c, "/payouts", "Payouts", h.d.Store.AffiliatePayouts,
		func(r tracklane.Payout) (time.Time, string) { return r.CreatedAt, r.ID }, views.PortalPayouts)
}

// showList answers the page of ?after= of the viewer's rows, newest first,
// with the pager of /p/<slug><path> (path as registered): the Conversions
// and Payouts pages differ only in their arguments. title names the page
// and its navigation item; load reads one page of the affiliate's rows;
// key is a row's keyset position (created_at, id); view shows the rows
// within the list's frame.
func showList[T any](h *Handler, c *gin.Context, path, title string,
	load func(ctx context.Context, tenantID, affiliateID string, p store.Page) ([]T, error),
	key func(T) (time.Time, string), view func(views.PortalList, []T) templ.Component) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, v, err)
		return
	}
	rows, err := load(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, pg)
	if err != nil {
		h.fail(c, v, err)
		return
	}
	l := views.PortalList{Chrome: h.chrome(c, v, title, strings.ToLower(title)), Loc: location(v.Tenant.Timezone),
		First: pg.After == nil, FirstURL: "/p/" + c.Param("slug") + path}
	if len(rows) == pageSize {
		l.NextURL = pageURL(l.FirstURL, keyset.Encode(key(rows[len(rows)-1])))
	}
	h.render(c, http.StatusOK, view(l, rows))
}

// location is the tenant's timezone (UTC when unset or unknown).
func location(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}
