package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/views"
)

// handlePlaceholderHome is Home until the portal pages are mounted (Deps.
// Pages nil): who is logged in and their link.
func (h *Handler) handlePlaceholderHome(c *gin.Context) {
	v, _ := ViewerFrom(c)
	ch := views.PortalChrome{
		Title: "Home", ProgramName: v.Tenant.Name, Slug: v.Tenant.Slug, AffiliateName: v.Affiliate.Name,
		Email: v.Affiliate.Email, CSRF: v.CSRF, Active: "home", AssetQuery: h.deps.AssetQuery,
	}
	h.render(c, http.StatusOK, views.PortalPlaceholderHome(ch, account.Link(h.deps.Config.PublicURL, v.Affiliate.Code)))
}
