package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// handleAffiliateStatus serves POST /affiliates/<id>/{approve,reject,
// suspend,activate} → 200 the bare affiliate (account.StatusTransition
// says which changes make sense; another tenant's id → 404).
func (h *Handler) handleAffiliateStatus(action account.StatusAction) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		a, err := h.accounts.SetAffiliateStatus(ctx, tenantOf(c), c.Param("id"), action)
		if err != nil {
			respond.Error(c, h.log, err)
			return
		}
		coupons, err := h.store.AffiliateCoupons(ctx, tenantOf(c), []string{a.ID})
		if err != nil {
			respond.Error(c, h.log, err)
			return
		}
		a.Coupons = coupons[a.ID]
		c.JSON(http.StatusOK, h.affiliateJSON(a))
	}
}

// affiliates reads a page of the tenant's affiliates, of one status when
// ?status= names one (a status that does not exist → 400).
func (h *Handler) affiliates(c *gin.Context, p store.Page) ([]tracklane.Affiliate, error) {
	st := c.Query("status")
	if st == "" {
		return h.store.Affiliates(c.Request.Context(), tenantOf(c), p)
	}
	switch s := tracklane.AffiliateStatus(st); s {
	case tracklane.AffiliateActive, tracklane.AffiliatePending, tracklane.AffiliateRejected, tracklane.AffiliateSuspended:
		return h.store.AffiliatesByStatus(c.Request.Context(), tenantOf(c), s, p)
	}
	return nil, apperr.Errorf(apperr.Invalid, "status must be active, pending, rejected or suspended")
}
