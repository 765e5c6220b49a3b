package dashboard

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/views"
)

// handleConversionDetail shows one conversion and its whole history: which
// Stripe event (or decision) changed what.
func (h *Handler) handleConversionDetail(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	v, err := h.store.Conversion(ctx, t.ID, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.ConversionPage{Chrome: h.chrome(c, "Conversion", "conversions"), Loc: location(t.Timezone), Conversion: v}
	a, err := h.store.Affiliate(ctx, t.ID, v.AffiliateID)
	switch {
	case err == nil:
		page.Affiliate, page.HasAff = a, true
	case !apperr.Is(err, apperr.NotFound):
		h.fail(c, err)
		return
	}
	if v.PayoutID != "" {
		if page.Payout, err = h.store.Payout(ctx, t.ID, v.PayoutID); err != nil {
			h.fail(c, err)
			return
		}
	}
	h.render(c, http.StatusOK, views.ConversionDetail(page))
}

// location loads a tenant's timezone; account validated it when it was
// set, so UTC is only a fallback for a broken tz database.
func location(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}
