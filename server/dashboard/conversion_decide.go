package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleConversionDecide records the merchant's manual approval or
// rejection; the store re-evaluates the conversion and keeps the change in
// its history.
func (h *Handler) handleConversionDecide(decision string) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := h.store.SetConversionManualStatus(c.Request.Context(), tenantID(c), c.Param("id"), decision)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/conversions/"+v.ID+"?ok="+decision)
	}
}
