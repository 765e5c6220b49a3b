package stripeapp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
)

// handleDisconnect stops checking the signed account in the request's mode,
// for whichever tenant holds it; its conversions stay. Disconnecting what is
// not connected succeeds too, so a retried click does no harm.
func (h *Handler) handleDisconnect(c *gin.Context, req request) {
	conn, ok, err := h.connection(c, req)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if ok {
		err := h.store.Disconnect(c.Request.Context(), conn.TenantID, req.AccountID, req.Livemode)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			respond.Error(c, h.log, err)
			return
		}
		h.log.InfoContext(c.Request.Context(), "stripe app disconnected", "tenant", conn.TenantID, "account", req.AccountID,
			"mode", req.mode(), "user", req.UserID)
	}
	c.JSON(http.StatusOK, disconnected)
}
