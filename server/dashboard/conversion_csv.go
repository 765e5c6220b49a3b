package dashboard

import (
	"context"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleConversionCSV streams the filtered conversions as CSV, paging
// through the store. Amounts are decimals in the currency's unit, with the
// currency in its own column, and also as integer minor units.
func (h *Handler) handleConversionCSV(c *gin.Context) {
	t, p, f, err := h.conversionFilter(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	streamCSV(h, c, csvExport[tracklane.Conversion]{
		what:     "conversion",
		filename: "conversions-" + p.view.From + "-to-" + p.view.To + ".csv",
		header: []string{
			"time", "conversion_id", "status", "affiliate_id", "affiliate", "customer", "currency",
			"amount", "commission", "amount_minor", "commission_minor", "gross_amount_minor", "livemode",
			"stripe_customer", "stripe_invoice", "stripe_charge", "stripe_subscription", "click_id", "source", "coupon",
			"origin", "conversion_type", "external_id", "customer_id", "custom_params"},
		list: func(ctx context.Context, pg store.Page) ([]tracklane.Conversion, error) {
			return h.store.Conversions(ctx, t.ID, f, pg)
		},
		position:  func(v tracklane.Conversion) store.Cursor { return store.Cursor{Time: v.CreatedAt, ID: v.ID} },
		affiliate: func(v tracklane.Conversion) string { return v.AffiliateID },
		record: func(v tracklane.Conversion, affiliate string) []string {
			return []string{v.CreatedAt.UTC().Format(time.RFC3339), v.ID, string(v.Status), v.AffiliateID, affiliate,
				v.ExternalCID, v.Currency,
				money.Decimal(v.Amount, v.Currency), money.Decimal(v.Commission, v.Currency),
				strconv.FormatInt(v.Amount, 10), strconv.FormatInt(v.Commission, 10), strconv.FormatInt(v.GrossAmount, 10),
				strconv.FormatBool(v.Livemode), v.StripeCustomer, v.StripeInvoice, v.StripeCharge, v.StripeSubscription, v.ClickID,
				string(v.Source), v.Coupon, string(v.Origin), v.ConversionType, v.ExternalID, v.CustomerID, customParamsCell(v.CustomParams)}
		},
	})
}
