package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// balancesShown caps the "owed now" table; creating payouts covers all.
const balancesShown = 200

// handlePayouts shows what is owed to whom, the pending payouts the
// PayPal file leaves out, and a keyset page of payouts with their actions.
func (h *Handler) handlePayouts(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	status := tracklane.PayoutStatus(c.Query("status"))
	switch status {
	case "", tracklane.PayoutPending, tracklane.PayoutPaid, tracklane.PayoutCancelled:
	default:
		h.fail(c, apperr.Errorf(apperr.Invalid, "status must be pending, paid or cancelled"))
		return
	}
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, err)
		return
	}
	balances, err := h.store.PayoutBalances(ctx, t.ID, "", balancesShown+1)
	if err != nil {
		h.fail(c, err)
		return
	}
	payouts, err := h.store.Payouts(ctx, t.ID, store.PayoutFilter{Status: status}, pg)
	if err != nil {
		h.fail(c, err)
		return
	}
	missing, err := h.store.PayoutsMissingEmail(ctx, t.ID, tracklane.PayoutPending)
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.PayoutsPage{
		Chrome: h.chrome(c, "Payouts", "payouts"), Loc: location(t.Timezone), PayoutMinimum: t.PayoutMinimum,
		Balances: balances, Status: string(status), Payouts: payouts, MissingEmail: missing,
		First: pg.After == nil, FirstURL: views.Link("/payouts", "status", string(status)),
	}
	if len(balances) > balancesShown {
		page.Balances, page.BalancesMore = balances[:balancesShown], true
	}
	if page.Names, err = h.payoutAffiliateNames(c, t.ID, payouts, missing); err != nil {
		h.fail(c, err)
		return
	}
	if len(payouts) == pageSize {
		last := payouts[len(payouts)-1]
		page.NextURL = views.Link("/payouts", "status", string(status), "after", keyset.Encode(last.CreatedAt, last.ID))
	}
	h.render(c, http.StatusOK, views.Payouts(page))
}

// payoutAffiliateNames names the affiliates of the payouts shown.
func (h *Handler) payoutAffiliateNames(c *gin.Context, tenantID string, lists ...[]tracklane.Payout) (map[string]string, error) {
	var ids []string
	for _, ps := range lists {
		for _, p := range ps {
			ids = append(ids, p.AffiliateID)
		}
	}
	affs, err := h.store.AffiliatesByID(c.Request.Context(), tenantID, uniq(ids))
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(affs))
	for id, a := range affs {
		names[id] = a.Name
	}
	return names, nil
}
