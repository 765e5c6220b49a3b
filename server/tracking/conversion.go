package tracking

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversions"
	"github.com/tracklane/tracklane/server/jsonbody"
)

// handleConversion serves a conversion the merchant's site reports (SPEC
// section 11): Trackdesk's `conversion` command, from the tracker or
// server-side. It checks the request's shape, waits for its turn
// (conversionSlot), reads the tenant and whether the personal token is
// the tenant's, and hands the report to the conversion service
// (conversions.Service.Report), which attributes and stores it. Nothing
// attributes it → 200 with conversionId null; a repeat of a type and
// externalId answers the first one's id.
func (h *Handler) handleConversion(c *gin.Context) {
	var req conversionRequest
	if err := jsonbody.Decode(c.Writer, c.Request, maxBody, &req); err != nil {
		h.fail(c, err)
		return
	}
	in, err := req.parse()
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	release, err := h.conversionSlot(ctx)
	if err != nil {
		c.Header("Retry-After", "1")
		h.fail(c, err)
		return
	}
	defer release()
	t, err := h.tenant(ctx, in.tenantID)
	if err != nil {
		h.fail(c, err)
		return
	}
	trusted, err := h.trusted(c, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	res, err := h.conversions.Report(ctx, conversions.ReportInput{
		Tenant: t, Trusted: trusted, Type: in.typ, Currency: in.currency, CID: in.cid, ExternalCID: in.email,
		ExternalID: in.externalID, CustomerID: in.customerID, CouponCodes: in.coupons, OriginID: in.originID,
		Status: in.status, Params: in.params,
		Amount: func(currency string) (int64, error) { return parseAmount(in.amount, currency) },
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	if res.ConversionID == "" {
		c.JSON(http.StatusOK, gin.H{"ok": true, "conversionId": nil})
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true, "conversionId": res.ConversionID})
}

// conversionConcurrency is how many reported conversions one process
// handles at a time; conversionWait how long one waits for its turn. A
// conversion costs a handful of queries and its own durable commit, a
// click a share of a batched one: unbounded, a flood of conversions takes
// the database from the clicks (bench/RESULTS.md measures both).
const (
	conversionConcurrency = 2
	conversionWait        = 5 * time.Second
)

// conversionSlot waits for a turn to handle a conversion; the caller
// releases it when done. Busy past conversionWait → unavailable (503,
// Retry-After: nothing was recorded).
func (h *Handler) conversionSlot(ctx context.Context) (func(), error) {
	release := func() { <-h.conversionSlots }
	select {
	case h.conversionSlots <- struct{}{}:
		return release, nil
	default:
	}
	timer := time.NewTimer(conversionWait)
	defer timer.Stop()
	select {
	case h.conversionSlots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, apperr.Errorf(apperr.Unavailable, "the request ended before its turn; nothing was recorded")
	case <-timer.C:
		return nil, apperr.Errorf(apperr.Unavailable, "too many conversions at once; nothing was recorded, please retry")
	}
}
