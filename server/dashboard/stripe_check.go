package dashboard

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleStripeCheck runs a check of one of the tenant's Stripe connections
// now and waits for it (the Checker joins a check already running).
func (h *Handler) handleStripeCheck(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	conns, err := h.store.TenantConnections(ctx, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	var conn *tracklane.StripeConnection
	for i := range conns {
		if conns[i].ID == id {
			conn = &conns[i]
		}
	}
	switch {
	case conn == nil:
		err = apperr.Errorf(apperr.NotFound, "no such Stripe connection")
		h.fail(c, err)
		return
	case h.deps.Checker == nil:
		err = apperr.Errorf(apperr.Unavailable, "Stripe sync not configured on this server, so no check can run")
	case !conn.Active:
		err = apperr.Errorf(apperr.Conflict, "this Stripe account is disconnected; reconnect it in the Stripe app first")
	default:
		if _, err = h.deps.Checker.CheckNow(ctx, *conn); err == nil {
			c.Redirect(http.StatusSeeOther, "/settings?ok=checked#stripe")
			return
		}
	}
	h.settingsRefused(c, t, err, func(p *views.SettingsPage, msg string) { p.StripeError = "Check failed: " + msg })
}
