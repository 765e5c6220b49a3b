package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// ProgramAccounts is the part of the account service behind the
// affiliate program's buttons (part of Accounts).
type ProgramAccounts interface {
	SetAffiliateStatus(ctx context.Context, tenantID, id string, action account.StatusAction) (tracklane.Affiliate, error)
	InviteAffiliate(ctx context.Context, tenantID, affiliateID string) (account.Invitation, error)
	SetPayoutEmail(ctx context.Context, tenantID string, userID int64, currentPassword, affiliateID, email string) (tracklane.Affiliate, error)
	RequestUserReset(ctx context.Context, email string) error
	CheckLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose) (tracklane.OneUseToken, error)
	UseLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose, newPassword string) (tracklane.OneUseToken, error)
}

// handleAffiliateStatus applies one status action (Approve, Reject,
// Suspend, Activate) to an affiliate; a change that makes no sense shows
// the affiliate's page with the reason.
func (h *Handler) handleAffiliateStatus(action account.StatusAction) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, a, ok := h.tenantAffiliate(c)
		if !ok {
			return
		}
		if _, err := h.deps.Accounts.SetAffiliateStatus(c.Request.Context(), t.ID, a.ID, action); err != nil {
			h.affiliatePageError(c, t, a, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/affiliates/"+a.ID+"?ok=status-"+string(action))
	}
}

// handleAffiliateInvite makes an invitation (mailed; earlier ones die) and
// shows the page with it: the link to copy when mail is not configured, or
// when the affiliate's address reached the cap on mails and it was not
// mailed.
func (h *Handler) handleAffiliateInvite(c *gin.Context) {
	t, a, ok := h.tenantAffiliate(c)
	if !ok {
		return
	}
	inv, err := h.deps.Accounts.InviteAffiliate(c.Request.Context(), t.ID, a.ID)
	if err != nil {
		h.affiliatePageError(c, t, a, err)
		return
	}
	// The link to copy goes to the affiliate's page in the session's
	// flash: a reload of that page sends no second invitation.
	if err := h.setFlash(c, flash{Kind: flashInvite, Value: inv.Link, For: a.ID, To: a.Email, Capped: !inv.Mailed}); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/affiliates/"+a.ID+"#portal")
}

// handleAffiliatePayoutEmail sets where the affiliate is paid, with the
// signed-in user's password (asked again, throttled as log-ins are); a
// wrong password or a value that is not a payout email shows the page
// again with the message.
func (h *Handler) handleAffiliatePayoutEmail(c *gin.Context) {
	t, a, ok := h.tenantAffiliate(c)
	if !ok {
		return
	}
	sess := session(c)
	typed := c.PostForm("payout_email")
	var err error = apperr.Errorf(apperr.Invalid, "type your password to change the payout email")
	if pw := c.PostForm("current_password"); pw != "" {
		err = h.recheck.Do(c, strconv.FormatInt(sess.UserID, 10), func(ctx context.Context) error {
			_, err := h.deps.Accounts.SetPayoutEmail(ctx, t.ID, sess.UserID, pw, a.ID, typed)
			return err
		})
	}
	if errors.Is(err, signin.ErrLeft) {
		return
	}
	if err != nil {
		a.PayoutEmail = typed
		h.affiliatePageError(c, t, a, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/affiliates/"+a.ID+"?ok=payout-email-saved")
}

// affiliatePageError shows the affiliate's page with err's message.
func (h *Handler) affiliatePageError(c *gin.Context, t tracklane.Tenant, a tracklane.Affiliate, err error) {
	if apperr.CodeOf(err) == apperr.NotFound {
		h.fail(c, err)
		return
	}
	status, msg := h.userMessage(c, err)
	page, perr := h.affiliateEditPage(c, t, a, affiliateForm(a))
	if perr != nil {
		h.fail(c, perr)
		return
	}
	page.Portal.PayoutEmail = a.PayoutEmail
	page.Chrome.Error = msg
	h.render(c, status, views.AffiliateEdit(page))
}

// affiliatesOfStatus reads a page of affiliates, of the ?status= one when
// given (Applicants = pending); an unknown status is a 400 page.
func (h *Handler) affiliatesOfStatus(c *gin.Context, tenantID string, pg store.Page) (string, []tracklane.Affiliate, error) {
	st := c.Query("status")
	switch s := tracklane.AffiliateStatus(st); s {
	case "":
		affs, err := h.store.Affiliates(c.Request.Context(), tenantID, pg)
		return "", affs, err
	case tracklane.AffiliateActive, tracklane.AffiliatePending, tracklane.AffiliateRejected, tracklane.AffiliateSuspended:
		affs, err := h.store.AffiliatesByStatus(c.Request.Context(), tenantID, s, pg)
		return st, affs, err
	}
	return "", nil, apperr.Errorf(apperr.Invalid, "status must be pending, active, suspended or rejected")
}
