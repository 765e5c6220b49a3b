package api

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// optionalBody decodes a JSON body into v when there is one: these
// endpoints take an empty body as "no options".
func optionalBody(c *gin.Context, v any) error {
	const limit = 16 << 10
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		return apperr.Errorf(apperr.Invalid, "could not read the request body")
	}
	if len(data) > limit {
		return apperr.Errorf(apperr.TooLarge, "request body is larger than %d bytes", limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(data))
	return jsonbody.Decode(c.Writer, c.Request, limit, v)
}

func (h *Handler) handlePayoutCreate(c *gin.Context) {
	var req struct {
		AffiliateID string `json:"affiliate_id"`
	}
	if err := optionalBody(c, &req); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	ps, err := h.accounts.CreatePayouts(c.Request.Context(), tenantOf(c), req.AffiliateID)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := struct {
		Data []apishape.Payout `json:"data"`
	}{Data: make([]apishape.Payout, len(ps))}
	for i, p := range ps {
		out.Data[i] = apishape.NewPayout(p)
	}
	status := http.StatusCreated
	if len(ps) == 0 {
		status = http.StatusOK
	}
	c.JSON(status, out)
}

// payoutStatus reads a status filter; "" is all.
func payoutStatus(v string) (tracklane.PayoutStatus, error) {
	switch s := tracklane.PayoutStatus(v); s {
	case "", tracklane.PayoutPending, tracklane.PayoutPaid, tracklane.PayoutCancelled:
		return s, nil
	}
	return "", apperr.Errorf(apperr.Invalid, "status must be one of pending, paid, cancelled")
}

func (h *Handler) handlePayoutList(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	var f store.PayoutFilter
	if f.Status, err = payoutStatus(c.Query("status")); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if f.AffiliateID, err = h.filterAffiliate(c); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	rows, err := h.store.Payouts(c.Request.Context(), tenantOf(c), f, p)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]apishape.Payout, len(rows))
	for i, r := range rows {
		out[i] = apishape.NewPayout(r)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, apishape.Payout.Position))
}

func (h *Handler) handlePayoutGet(c *gin.Context) {
	p, err := h.store.Payout(c.Request.Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, apishape.NewPayout(p))
}

func (h *Handler) handlePayoutPaid(c *gin.Context) {
	var req struct {
		Reference string `json:"reference"`
	}
	if err := optionalBody(c, &req); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	p, err := h.accounts.MarkPayoutPaid(c.Request.Context(), tenantOf(c), c.Param("id"), req.Reference)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, apishape.NewPayout(p))
}

func (h *Handler) handlePayoutCancel(c *gin.Context) {
	p, err := h.accounts.CancelPayout(c.Request.Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, apishape.NewPayout(p))
}

// handlePayoutPayPal streams the PayPal Payouts bulk file of the tenant's
// payouts (pending by default): no header; recipient email, amount in major
// units, currency upper-case, the payout id, a note. Payouts without a
// payout email are left out (the dashboard lists them).
func (h *Handler) handlePayoutPayPal(c *gin.Context) {
	status := tracklane.PayoutPending
	if v := c.Query("status"); v != "" {
		s, err := payoutStatus(v)
		if err != nil {
			respond.Error(c, h.log, err)
			return
		}
		status = s
	}
	ctx := c.Request.Context()
	t, err := h.store.Tenant(ctx, tenantOf(c))
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="paypal-payouts.csv"`)
	c.Status(http.StatusOK)
	if err := apishape.WritePayPal(c.Writer, t.Name, func(fn func(tracklane.Payout) error) error {
		return h.store.EachPayout(ctx, t.ID, status, fn)
	}); err != nil {
		h.log.Error("writing the PayPal file", "err", err) // headers are sent: the file ends short
	}
}
