package dashboard

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/dashboard/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleConversionCSV streams the filtered conversions as CSV, paging
// through the store. Amounts are decimals in the currency's unit, with the
// currency in its own column, and also as integer minor units.
func (h *Handler) handleConversionCSV(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	p, f, err := h.conversionFilter(c, t)
	if err != nil {
		h.fail(c, err)
		return
	}
	pg := store.Page{Limit: csvPage}
	names := map[string]tracklane.Affiliate{}
	var w *csvWriter
	for {
		convs, err := h.store.Conversions(ctx, t.ID, f, pg)
		if err != nil {
			if w == nil {
				h.fail(c, err)
			} else {
				h.log.ErrorContext(ctx, "conversion export interrupted", "err", err)
			}
			return
		}
		ids := make([]string, len(convs))
		for i, v := range convs {
			ids[i] = v.AffiliateID
		}
		if err := h.addNames(c, names, ids); err != nil {
			h.log.ErrorContext(ctx, "conversion export: affiliate names", "err", err)
		}
		if w == nil {
			w = newCSV(c, "conversions-"+p.view.From+"-to-"+p.view.To+".csv", []string{
				"time", "conversion_id", "status", "affiliate_id", "affiliate", "customer", "currency",
				"amount", "commission", "amount_minor", "commission_minor", "gross_amount_minor", "livemode",
				"stripe_customer", "stripe_invoice", "stripe_charge", "stripe_subscription", "click_id"})
		}
		for _, v := range convs {
			w.row(v.CreatedAt.UTC().Format(time.RFC3339), v.ID, string(v.Status), v.AffiliateID, names[v.AffiliateID].Name,
				maskOrEmpty(v.ExternalCID), v.Currency,
				money.Decimal(v.Amount, v.Currency), money.Decimal(v.Commission, v.Currency),
				strconv.FormatInt(v.Amount, 10), strconv.FormatInt(v.Commission, 10), strconv.FormatInt(v.GrossAmount, 10),
				strconv.FormatBool(v.Livemode), v.StripeCustomer, v.StripeInvoice, v.StripeCharge, v.StripeSubscription, v.ClickID)
		}
		if err := w.flush(); err != nil || len(convs) < pg.Limit {
			return
		}
		last := convs[len(convs)-1]
		pg.After = &store.Cursor{Time: last.CreatedAt, ID: last.ID}
	}
}
