package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

type affiliateJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Email       string   `json:"email"`
	Code        string   `json:"code"`
	LandingURL  string   `json:"landing_url"`
	Link        string   `json:"link"`
	Coupons     []string `json:"coupons"`
	Status      string   `json:"status"`
	PayoutEmail string   `json:"payout_email"`
	CreatedAt   string   `json:"created_at"`
	createdAt   time.Time
}

func (h *Handler) affiliateJSON(a tracklane.Affiliate) affiliateJSON {
	return affiliateJSON{
		ID: a.ID, Name: a.Name, Email: a.Email, Code: a.Code, LandingURL: a.LandingURL,
		Link: account.Link(h.publicURL, a.Code), Coupons: upper(a.Coupons),
		Status: string(a.Status), PayoutEmail: a.PayoutEmail, CreatedAt: rfc3339(a.CreatedAt), createdAt: a.CreatedAt,
	}
}

// upper writes promotion codes as merchants type them in Stripe; never null.
func upper(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = strings.ToUpper(c)
	}
	return out
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
	out := make([]affiliateJSON, len(rows))
	for i, a := range rows {
		a.Coupons = coupons[a.ID]
		out[i] = h.affiliateJSON(a)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, func(a affiliateJSON) (time.Time, string) { return a.createdAt, a.ID }))
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
