package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// programSettings is the affiliate program's section of the settings.
func (h *Handler) programSettings(t tracklane.Tenant) views.ProgramSettings {
	return views.ProgramSettings{Slug: t.Slug, Approval: string(t.AffiliateApproval),
		PortalURL: account.PortalURL(h.deps.Config.PublicURL, t.Slug)}
}

// handleProgramSave stores the program's slug and approval mode; a bad or
// taken slug shows the settings again with the message.
func (h *Handler) handleProgramSave(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	slug, approval := c.PostForm("slug"), c.PostForm("affiliate_approval")
	in := account.SettingsInput{Slug: &slug}
	if approval != "" {
		in.AffiliateApproval = &approval
	}
	if _, err := h.deps.Accounts.UpdateSettings(c.Request.Context(), t.ID, in); err != nil {
		h.settingsRefused(c, t, err, func(p *views.SettingsPage, msg string) { p.Program.Slug, p.Program.Error = slug, msg })
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings?ok=settings-saved#program")
}
