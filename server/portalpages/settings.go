package portalpages

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/views"
)

// handleSettings shows the payout email and password forms.
func (h *Handler) handleSettings(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, views.PortalSettings(views.PortalSettingsPage{
		Chrome: h.chrome(c, v, "Settings", "settings"), PayoutEmail: v.Affiliate.PayoutEmail,
	}))
}

// handlePayoutEmailSave passes the payout email to Deps.SetPayoutEmail,
// which holds the rules; its refusal (one that is not an email address)
// shows the page again with the message, nothing changed.
func (h *Handler) handlePayoutEmailSave(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	typed := c.PostForm("payout_email")
	var err error
	if h.d.SetPayoutEmail == nil {
		err = apperr.Errorf(apperr.Internal, "no payout email service is wired")
	} else {
		_, err = h.d.SetPayoutEmail(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, typed)
	}
	if err != nil {
		status, msg := h.formMessage(c, err)
		h.render(c, status, views.PortalSettings(views.PortalSettingsPage{
			Chrome: h.chrome(c, v, "Settings", "settings"), PayoutEmail: typed, PayoutError: msg,
		}))
		return
	}
	c.Redirect(http.StatusSeeOther, "/p/"+c.Param("slug")+"/settings?ok=payout-email-saved")
}

// handlePasswordChange passes the current and new passwords to
// Deps.ChangePassword, which holds the rules; its refusal is shown on the
// form.
func (h *Handler) handlePasswordChange(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	var err error
	current, next := c.PostForm("current_password"), c.PostForm("new_password")
	switch {
	case h.d.ChangePassword == nil:
		err = apperr.Errorf(apperr.Internal, "no password service is wired")
	case current == "":
		err = apperr.Errorf(apperr.Invalid, "type your current password")
	default:
		err = h.d.ChangePassword(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, current, next)
	}
	if err != nil {
		status, msg := h.formMessage(c, err)
		h.render(c, status, views.PortalSettings(views.PortalSettingsPage{
			Chrome: h.chrome(c, v, "Settings", "settings"), PayoutEmail: v.Affiliate.PayoutEmail, PasswordError: msg,
		}))
		return
	}
	c.Redirect(http.StatusSeeOther, "/p/"+c.Param("slug")+"/settings?ok=password-changed")
}
