package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleLogout deletes the session (not just the cookie), so a copied
// cookie stops working too.
func (h *Handler) handleLogout(c *gin.Context) {
	if err := h.signin.End(c); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
