package dashboard

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
)

// handleTokenRevoke revokes one of the tenant's tokens; another tenant's
// token id is not found.
func (h *Handler) handleTokenRevoke(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.fail(c, apperr.Errorf(apperr.NotFound, "no such token"))
		return
	}
	if err := h.deps.Accounts.RevokeToken(c.Request.Context(), tenantID(c), id); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings?ok=token-revoked#tokens")
}
