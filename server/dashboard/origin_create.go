package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// handleOriginCreate adds a named revenue origin.
func (h *Handler) handleOriginCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if _, err = h.deps.Accounts.CreateRevenueOrigin(c.Request.Context(), t.ID, c.PostForm("name")); err == nil {
		c.Redirect(http.StatusSeeOther, "/settings?ok=origin-created#origins")
		return
	}
	h.settingsRefused(c, t, err, func(p *views.SettingsPage, msg string) {
		p.OriginError, p.OriginName = msg, c.PostForm("name")
	})
}
