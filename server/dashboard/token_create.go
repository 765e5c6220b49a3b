package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// handleTokenCreate makes a personal token and shows it once, in this
// answer: only its hash is stored, so it cannot be shown again.
func (h *Handler) handleTokenCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := c.PostForm("name")
	token, err := h.deps.Accounts.CreateToken(c.Request.Context(), t.ID, name)
	status := http.StatusOK
	var msg string
	if err != nil {
		status, msg = h.userMessage(c, err)
	}
	page, perr := h.settingsPage(c, t)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	if err != nil {
		page.TokenError, page.TokenName = msg, name
	} else {
		page.NewToken, page.NewTokenName = token, name
	}
	h.render(c, status, views.Settings(page))
}
