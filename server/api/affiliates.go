package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// affiliateJSON renders a with its referral link on this instance.
func (h *Handler) affiliateJSON(a tracklane.Affiliate) apishape.Affiliate {
	return apishape.NewAffiliate(a, account.Link(h.publicURL, a.Code))
}

func (h *Handler) handleAffiliateList(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	rows, err := h.affiliates(c, p)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	ids := make([]string, len(rows))
	for i, a := range rows {
		ids[i] = a.ID
	}
	coupons, err := h.store.AffiliateCoupons(c.Request.Context(), tenantOf(c), ids)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]apishape.Affiliate, len(rows))
	for i, a := range rows {
		a.Coupons = coupons[a.ID]
		out[i] = h.affiliateJSON(a)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, apishape.Affiliate.Position))
}

type affiliateCreateRequest struct {
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Code       string   `json:"code"`
	LandingURL string   `json:"landing_url"`
	Coupons    []string `json:"coupons"`
}

func (h *Handler) handleAffiliateCreate(c *gin.Context) {
	var req affiliateCreateRequest
	if err := jsonbody.Decode(c.Writer, c.Request, 64<<10, &req); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	a, err := h.accounts.CreateAffiliate(c.Request.Context(), tenantOf(c), account.AffiliateInput{
		Name: req.Name, Email: req.Email, Code: req.Code, LandingURL: req.LandingURL, Coupons: req.Coupons,
	})
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusCreated, h.affiliateJSON(a))
}
