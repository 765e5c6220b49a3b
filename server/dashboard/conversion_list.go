package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// conversionFilter reads the signed-in tenant and the conversion filters
// shared by the list and its CSV export.
func (h *Handler) conversionFilter(c *gin.Context) (t tracklane.Tenant, p period, f store.ConversionFilter, err error) {
	if t, p, err = h.tenantPeriod(c); err != nil {
		return t, p, f, err
	}
	f = store.ConversionFilter{From: p.start, To: p.end}
	if s := c.Query("status"); s != "" {
		if !conversion.Status(s).Valid() {
			return t, p, f, apperr.Errorf(apperr.Invalid, "status must be one of pending, approved, refunded, cancelled, disputed, rejected, test")
		}
		f.Status = conversion.Status(s)
	}
	if f.AffiliateID, err = h.affiliateFilter(c); err != nil {
		return t, p, f, err
	}
	if f.Origin, f.ConversionType, err = tracklane.ReadOriginFilters(c.Query("origin"), c.Query("type"), "type"); err != nil {
		return t, p, f, err
	}
	switch c.Query("flagged") {
	case "":
	case "1":
		f.Flagged = true
	default:
		return t, p, f, apperr.Errorf(apperr.Invalid, "flagged must be 1 or absent")
	}
	return t, p, f, nil
}

// handleConversionList shows a keyset page of conversions, newest payment
// first.
func (h *Handler) handleConversionList(c *gin.Context) {
	ctx := c.Request.Context()
	t, p, f, err := h.conversionFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	convs, pg, err := rowsAfter(c, func(pg store.Page) ([]tracklane.Conversion, error) {
		return h.store.Conversions(ctx, t.ID, f, pg)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	options, names, err := h.affiliateNames(c, idsOf(convs, func(v tracklane.Conversion) string { return v.AffiliateID }))
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.ConversionsPage{
		Chrome: h.chrome(c, "Conversions", "conversions"), Period: p.view, Loc: p.loc,
		Affiliates: options, AffiliateID: f.AffiliateID, Status: string(f.Status), Flagged: f.Flagged,
		Conversions: convs, Names: names, First: pg.After == nil,
		Origin: string(f.Origin), ConversionType: f.ConversionType,
	}
	if page.Types, err = h.typeOptions(c, t); err != nil {
		h.fail(c, err)
		return
	}
	flagged := ""
	if f.Flagged {
		flagged = "1"
	}
	filters := append(periodQuery(p), "status", page.Status, "affiliate", page.AffiliateID, "flagged", flagged, "origin", page.Origin, "type", page.ConversionType)
	page.FirstURL = views.Link("/conversions", filters...)
	page.CSVURL = views.Link("/conversions.csv", filters...)
	if len(convs) == pageSize {
		last := convs[len(convs)-1]
		page.NextURL = views.Link("/conversions", append(filters, "after", keyset.Encode(last.CreatedAt, last.ID))...)
	}
	if len(convs) == 0 {
		conns, err := h.store.TenantConnections(ctx, t.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		page.HasStripe = len(conns) > 0
	}
	h.render(c, http.StatusOK, views.Conversions(page))
}
