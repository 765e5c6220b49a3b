package dashboard

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/views"
)

// handleOriginCreate adds a named revenue origin. account has no origin
// operation, so the name is only trimmed and bounded here, as for any name.
func (h *Handler) handleOriginCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := strings.TrimSpace(c.PostForm("name"))
	switch {
	case name == "":
		err = apperr.Errorf(apperr.Invalid, "the origin needs a name")
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0) || utf8.RuneCountInString(name) > 200:
		err = apperr.Errorf(apperr.Invalid, "the name must be text of at most 200 characters")
	default:
		if _, err = h.store.CreateRevenueOrigin(c.Request.Context(), t.ID, ident.UUID(), name); err == nil {
			c.Redirect(http.StatusSeeOther, "/settings?ok=origin-created#origins")
			return
		}
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
