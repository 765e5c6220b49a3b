package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
)

func (h *Handler) handleClickList(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	aff, err := h.filterAffiliate(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	rows, err := h.store.Clicks(c.Request.Context(), tenantOf(c), store.ClickFilter{AffiliateID: aff}, p)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]apishape.Click, len(rows))
	for i, r := range rows {
		out[i] = apishape.NewClick(r)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, apishape.Click.Position))
}
