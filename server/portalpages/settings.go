package portalpages

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/signin"
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

// recheck runs one of the settings forms' actions, which ask for the
// current password again: a blank one is refused at once; anything else
// runs under Deps.Recheck's throttle (so a session holder guesses no
// faster than at the log-in). signin.ErrLeft: the client left while a slow
// limit held it, there is nobody to answer.
func (h *Handler) recheck(c *gin.Context, v Viewer, act func(ctx context.Context) error) error {
	if c.PostForm("current_password") == "" {
		return apperr.Errorf(apperr.Invalid, "type your current password")
	}
	return h.d.Recheck.Do(c, v.Tenant.ID+"/"+v.Affiliate.ID, act)
}

// handlePayoutEmailSave passes the payout email and the current password
// to Deps.SetPayoutEmail, which holds the rules; its refusal (a wrong
// password, an address that is not one or that a spreadsheet would run)
// shows the page again with the message, nothing changed.
func (h *Handler) handlePayoutEmailSave(c *gin.Context) {
	v, ok := h.viewer(c)
	if !ok {
		return
	}
	typed := c.PostForm("payout_email")
	err := h.recheck(c, v, func(ctx context.Context) error {
		if h.d.SetPayoutEmail == nil {
			return apperr.Errorf(apperr.Internal, "no payout email service is wired")
		}
		_, err := h.d.SetPayoutEmail(ctx, v.Tenant.ID, v.Affiliate.ID, c.PostForm("current_password"), typed)
		return err
	})
	if errors.Is(err, signin.ErrLeft) {
		return
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
	current, next := c.PostForm("current_password"), c.PostForm("new_password")
	err := h.recheck(c, v, func(ctx context.Context) error {
		if h.d.ChangePassword == nil {
			return apperr.Errorf(apperr.Internal, "no password service is wired")
		}
		return h.d.ChangePassword(ctx, v.Tenant.ID, v.Affiliate.ID, current, next, v.Session)
	})
	if errors.Is(err, signin.ErrLeft) {
		return
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
