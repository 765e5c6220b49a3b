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
// sections 11 and 14): Trackdesk's `conversion` command, from the tracker
// or server-side. It checks the request's shape and whether a personal
// token is the tenant's, waits for its turn in the budget of its kind
// (conversionSlot: browsers and the merchant's server each have their
// own), reads the tenant, hashes a browser's visitor and hands the report
// to the conversion service (conversions.Service.Report), which
// attributes and stores it. A browser is always answered an opaque id, so
// it cannot tell whether anything was attributed; the merchant's server
// gets the conversion's id, or null when nothing attributes the report.
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
	// The token is checked before the turn is taken, so that the merchant's
	// reports never queue behind browsers'. It needs only the tenant id; a
	// request without one costs nothing here.
	trusted, err := h.trusted(c, in.tenantID)
	if err != nil {
		h.fail(c, err)
		return
	}
	release, err := h.conversionSlot(ctx, trusted)
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
	var visitor []byte
	if !trusted {
		visitor = h.visitors.hash(c.ClientIP(), c.Request.UserAgent(), h.now())
	}
	res, err := h.conversions.Report(ctx, conversions.ReportInput{
		Tenant: t, Trusted: trusted, Type: in.typ, Currency: in.currency, CID: in.cid, ExternalCID: in.email,
		ExternalID: in.externalID, CustomerID: in.customerID, CouponCodes: in.coupons, OriginID: in.originID,
		Status: in.status, Params: in.params, Visitor: visitor,
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

// How many reported conversions one process handles at a time, of each
// kind, and how long one waits for its turn. A conversion costs a handful
// of queries and its own durable commit, a click a share of a batched
// one: unbounded, a flood of conversions takes the database from the
// clicks (bench/RESULTS.md measures both). Browsers' reports and the
// merchant's server's (trusted) have a budget each, so that a flood of
// anonymous reports can neither delay nor starve the merchant's.
const (
	browserConversionConcurrency = 2
	trustedConversionConcurrency = 4
	conversionWait               = 5 * time.Second
)

// conversionSlot waits for a turn to handle a conversion in the budget of
// its kind (trusted or a browser's); the caller releases it when done.
// Busy past conversionWait → unavailable (503, Retry-After: nothing was
// recorded).
func (h *Handler) conversionSlot(ctx context.Context, trusted bool) (func(), error) {
	slots := h.browserConversions
	if trusted {
		slots = h.trustedConversions
	}
	release := func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, nil
	default:
	}
	timer := time.NewTimer(conversionWait)
	defer timer.Stop()
	select {
	case slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, apperr.Errorf(apperr.Unavailable, "the request ended before its turn; nothing was recorded")
	case <-timer.C:
		return nil, apperr.Errorf(apperr.Unavailable, "too many conversions at once; nothing was recorded, please retry")
	}
}
