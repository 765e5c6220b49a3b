package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
)

// handlePayoutCreate creates the pending payouts of everything payable
// (the same service as the API's POST /api/v1/payouts).
func (h *Handler) handlePayoutCreate(c *gin.Context) {
	ps, err := h.deps.Accounts.CreatePayouts(c.Request.Context(), tenantID(c), "")
	if err != nil {
		h.fail(c, err)
		return
	}
	key := "payouts-created"
	if len(ps) == 0 {
		key = "payouts-none"
	}
	c.Redirect(http.StatusSeeOther, "/payouts?status=pending&ok="+key)
}

// handlePayoutPaid marks a pending payout paid with the typed reference
// and mails the affiliate; a paid or cancelled one → a 409 page.
func (h *Handler) handlePayoutPaid(c *gin.Context) {
	p, err := h.deps.Accounts.MarkPayoutPaid(c.Request.Context(), tenantID(c), c.Param("id"), c.PostForm("reference"))
	if err != nil {
		h.fail(c, err)
		return
	}
	done := "payout-paid"
	if !h.deps.MailConfigured {
		done = "payout-paid-nomail"
	}
	c.Redirect(http.StatusSeeOther, "/payouts?ok="+done+"#"+p.ID)
}

// handlePayoutCancel cancels a pending payout; its commission becomes
// payable again.
func (h *Handler) handlePayoutCancel(c *gin.Context) {
	p, err := h.deps.Accounts.CancelPayout(c.Request.Context(), tenantID(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/payouts?ok=payout-cancelled#"+p.ID)
}

// handlePayoutMinimum saves the payout minimum (minor units).
func (h *Handler) handlePayoutMinimum(c *gin.Context) {
	v := strings.TrimSpace(c.PostForm("payout_minimum"))
	if v == "" {
		v = "0"
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		h.fail(c, apperr.Errorf(apperr.Invalid, "the minimum payout must be a whole number of minor units (5000 for $50.00), not %q", truncate(v, 40)))
		return
	}
	if _, err := h.deps.Accounts.UpdateSettings(c.Request.Context(), tenantID(c), account.SettingsInput{PayoutMinimum: &n}); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/payouts?ok=minimum-saved")
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return fmt.Sprint(string(r[:n]), "…")
	}
	return s
}
