package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// handleTokenCreate makes a personal token and shows it once: only its
// hash is stored, so the token travels to the settings page in the
// session's flash (POST → redirect → GET; a reload makes no second one).
func (h *Handler) handleTokenCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := c.PostForm("name")
	token, err := h.deps.Accounts.CreateToken(c.Request.Context(), t.ID, name)
	if err != nil {
		h.settingsRefused(c, t, err, func(p *views.SettingsPage, msg string) { p.TokenError, p.TokenName = msg, name })
		return
	}
	if err := h.setFlash(c, flash{Kind: flashToken, Name: name, Value: token}); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings#tokens")
}
