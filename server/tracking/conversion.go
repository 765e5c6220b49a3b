package tracking

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionStore is what the conversion endpoint needs from storage
// (*store.Store).
type ConversionStore interface {
	ReportedSettings(ctx context.Context, tenantID string) (types []tracklane.ConversionType, maxAmount int64, err error)
	ReportedConversionID(ctx context.Context, tenantID, typ, externalID string) (string, error)
	ReportedFacts(ctx context.Context, tenantID, cid, externalCID string, coupons []string) (store.ReportedFacts, error)
	CreateReportedConversion(ctx context.Context, r store.ReportedConversion) (id string, created bool, err error)
}

// handleConversion records a conversion the merchant's site reports
// (SPEC section 11): Trackdesk's `conversion` command, from the tracker or
// server-side. It is attributed by the request's click, else the
// customer's email link, else a coupon; nothing attributes it → 200 with
// conversionId null and nothing stored. From the browser it is unverified
// (pending, flagged browser_reported, its status ignored); with the
// tenant's personal token it is trusted. A repeat of a type and externalId
// answers the first one's id.
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
	report, err := h.reported(ctx, t, in, trusted)
	if err != nil {
		h.fail(c, err)
		return
	}
	if in.externalID != "" {
		id, err := h.store.ReportedConversionID(ctx, t.ID, in.typ, in.externalID)
		if err == nil {
			c.JSON(http.StatusOK, gin.H{"ok": true, "conversionId": id})
			return
		}
		if !apperr.Is(err, apperr.NotFound) {
			h.fail(c, err)
			return
		}
	}
	facts, err := h.store.ReportedFacts(ctx, t.ID, in.cid, in.email, in.coupons)
	if err != nil {
		h.fail(c, err)
		return
	}
	report.Click, report.Links, report.Coupons, report.Affiliates = facts.Click, facts.Links, facts.Coupons, facts.Affiliates
	plan, ok := attribution.DecideReported(report)
	if !ok {
		c.JSON(http.StatusOK, gin.H{"ok": true, "conversionId": nil})
		return
	}
	if in.originID != "" {
		plan.OriginID = in.originID
	}
	id, _, err := h.store.CreateReportedConversion(ctx, store.ReportedConversion{
		TenantID: t.ID, Plan: plan, ExternalCID: in.email, Type: in.typ, ExternalID: in.externalID,
		CustomerID: in.customerID, Params: in.params, Amount: report.Amount, Currency: report.Currency, At: report.Now,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true, "conversionId": id})
}

// reported checks what depends on the tenant — the type, the currency,
// the amount and its cap — and returns the rule's input without the
// attribution facts.
func (h *Handler) reported(ctx context.Context, t tracklane.Tenant, in reportedInput, trusted bool) (attribution.Reported, error) {
	stored, max, err := h.store.ReportedSettings(ctx, t.ID)
	if err != nil {
		return attribution.Reported{}, err
	}
	tenantCur := tracklane.TenantCurrency(t)
	typ, ok := tracklane.FindConversionType(tracklane.ResolveConversionTypes(tenantCur, stored), in.typ)
	if !ok {
		return attribution.Reported{}, apperr.Errorf(apperr.Unprocessable, "conversionType %q is not one of this tenant's conversion types", in.typ)
	}
	cur := in.currency
	if cur == "" {
		cur = tenantCur
	}
	amount, err := parseAmount(in.amount, cur)
	if err != nil {
		return attribution.Reported{}, err
	}
	if overCap(amount, max) {
		return attribution.Reported{}, apperr.Errorf(apperr.Unprocessable,
			"amount is more than this tenant's maximum for a reported conversion (%s)", money.Format(max, cur))
	}
	return attribution.Reported{
		Now: h.now(), AttributionDays: t.AttributionDays, HoldDays: t.HoldDays, TenantRule: t.Commission,
		TypeRule: typ.Rule, CouponCodes: in.coupons, ExternalCID: in.email, Amount: amount, Currency: cur,
		Trusted: trusted, Status: in.status,
	}, nil
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
