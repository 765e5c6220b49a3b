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
	status, msg := h.userMessage(c, err)
	page, perr := h.settingsPage(c, t)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	page.OriginError, page.OriginName = msg, c.PostForm("name")
	h.render(c, status, views.Settings(page))
}
