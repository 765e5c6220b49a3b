package dashboard

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/views"
)

// refuseURL answers an address urlcheck refused: JSON on a .json
// endpoint, a page elsewhere.
func (h *Handler) refuseURL(c *gin.Context, err error) {
	if strings.HasSuffix(c.Request.URL.Path, ".json") {
		respond.Error(c, h.log, err)
		return
	}
	h.fail(c, err)
}

// render writes a page with status.
func (h *Handler) render(c *gin.Context, status int, page templ.Component) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := page.Render(c.Request.Context(), c.Writer); err != nil {
		h.log.ErrorContext(c.Request.Context(), "rendering page", "path", c.FullPath(), "err", err)
	}
}

// chrome is the frame of a signed-in page.
func (h *Handler) chrome(c *gin.Context, title, active string) views.Chrome {
	s := session(c)
	applicants, err := h.store.PendingApplicants(c.Request.Context(), s.TenantID)
	if err != nil {
		// The badge is a hint; the page does not depend on it.
		h.log.WarnContext(c.Request.Context(), "counting applicants for the navigation", "err", err)
	}
	return views.Chrome{
		Title: title, Active: active, TenantName: s.TenantName, Email: s.Email,
		CSRF: h.csrfToken(s), Notice: notice(c.Query("ok")), AssetQuery: h.assetQuery, Applicants: applicants,
	}
}

// notices are the messages a redirect after an action may ask for (by
// key, so no text of the URL reaches the page).
var notices = map[string]string{
	"affiliate-created":  "Affiliate created. Share its link to start tracking.",
	"coupons-saved":      "Promotion codes saved.",
	"affiliate-saved":    "Affiliate saved.",
	"settings-saved":     "Settings saved.",
	"origin-created":     "Revenue origin added.",
	"type-saved":         "Conversion type saved.",
	"type-deleted":       "Conversion type removed (sale and lead go back to their defaults).",
	"max-saved":          "Largest reported amount saved.",
	"token-revoked":      "Token revoked. Requests with it are refused from now on.",
	"checked":            "Stripe check finished.",
	"approved":           "Conversion approved: its commission is owed now.",
	"rejected":           "Conversion rejected: no commission is owed for it.",
	"payouts-created":    "Payouts created. Send the money (the PayPal CSV helps), then mark each one paid.",
	"payouts-none":       "Nothing is payable right now: no affiliate's net balance reaches the minimum.",
	"payout-paid":        "Payout marked paid. The affiliate is being emailed.",
	"payout-paid-nomail": "Payout marked paid. Mail is not set up (SMTP_URL), so the affiliate is not emailed: tell them yourself.",
	"paypal-empty":       "The PayPal file would be empty: no pending payout has a payout email. Create payouts first, or add the affiliates' payout emails (listed below when missing).",
	"payout-cancelled":   "Payout cancelled. Its commission is payable again.",
	"minimum-saved":      "Minimum payout saved.",
	"signed-up":          "Welcome to Tracklane! Start by adding an affiliate and installing the tracking snippets.",
	"status-approve":     "Affiliate approved: their link records clicks and they can log in to the portal.",
	"status-reject":      "Application rejected.",
	"status-suspend":     "Affiliate suspended: their link no longer records clicks and they cannot log in.",
	"status-activate":    "Affiliate activated.",
	"payout-email-saved": "Payout email saved.",
	"password-set":       "Your new password is saved. Log in with it.",
}

func notice(key string) string { return notices[key] }

// renderError shows a problem as a page: within the app when signed in.
func (h *Handler) renderError(c *gin.Context, status int, heading, message string) {
	s, signedIn := c.Get(sessionKey)
	p := views.ErrorPage{SignedIn: signedIn && s != nil, Status: status, Heading: heading, Message: message}
	if p.SignedIn {
		p.Chrome = h.chrome(c, heading, "")
		p.Chrome.Notice = ""
	} else {
		p.Chrome.AssetQuery = h.assetQuery
	}
	h.render(c, status, views.Error(p))
}

// fail shows err as a page with the status of its code. Internal errors are
// logged with their cause and shown without it.
func (h *Handler) fail(c *gin.Context, err error) {
	code := apperr.CodeOf(err)
	status := respond.Status(code)
	switch code {
	case apperr.Internal:
		h.log.ErrorContext(c.Request.Context(), "dashboard request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		h.renderError(c, status, "Something went wrong", "This page could not be loaded because of a problem on our side. Try again in a moment; if it keeps happening, the server log has the details.")
	case apperr.NotFound:
		h.renderError(c, status, "Not found", "There is no such page or object in your account. "+apperr.MessageOf(err)+".")
	default:
		h.renderError(c, status, "That did not work", apperr.MessageOf(err))
	}
}

// userMessage is the message of err for a form: the application's own
// message, or a generic one (logged) for internal errors.
func (h *Handler) userMessage(c *gin.Context, err error) (int, string) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		h.log.ErrorContext(c.Request.Context(), "dashboard action failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		return http.StatusInternalServerError, "Something went wrong on our side; nothing was changed. Try again in a moment."
	}
	msg := apperr.MessageOf(err)
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' { // messages are written for logs and JSON too
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return respond.Status(code), msg
}
