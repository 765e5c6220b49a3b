package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/conversions"
)

// handleConversionDecide records the merchant's manual approval or
// rejection through the conversion service, which re-evaluates the
// conversion and keeps the change in its history.
func (h *Handler) handleConversionDecide(decision conversions.Decision) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := h.deps.Conversions.Decide(c.Request.Context(), tenantID(c), c.Param("id"), decision)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/conversions/"+v.ID+"?ok="+string(decision))
	}
}
