package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// PayoutEmail checks a payout email as typed: "" (blank) stays "", anything
// else must be an email address that a spreadsheet would not run as a
// formula (no = + - @ first) and without a control character (SPEC
// section 14); it is returned folded.
func PayoutEmail(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return "", nil
	}
	if problem := tracklane.PayoutEmailProblem(raw); problem != "" {
		return "", apperr.Errorf(apperr.Invalid, "payout email: %s", problem)
	}
	e, err := NormalizeEmail(raw)
	if err != nil {
		return "", apperr.Errorf(apperr.Invalid, "payout email: %s", apperr.MessageOf(err))
	}
	return e, nil
}

// SetPayoutEmail sets where one of the tenant's affiliates is paid, from
// the merchant's dashboard: it needs the current password of the user
// making the change (checked first: wrong → unauthorized); "" clears it,
// anything else must pass PayoutEmail. The affiliate's former payout
// address is mailed (SPEC section 14).
func (s Service) SetPayoutEmail(ctx context.Context, tenantID string, userID int64, currentPassword, affiliateID, email string) (tracklane.Affiliate, error) {
	hash, err := s.Store.UserPasswordHash(ctx, tenantID, userID)
	e, err := passwordThenPayoutEmail(hash, err, currentPassword, email)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return s.changePayoutEmail(ctx, tenantID, affiliateID, e, "the merchant")
}

// SetOwnPayoutEmail sets where an affiliate is paid, from the affiliate's
// own portal settings: it needs their current password (checked first:
// wrong → unauthorized), and there it must be an email (an affiliate
// cannot clear where they are paid; the merchant can, with
// SetPayoutEmail). The former payout address is mailed.
func (s Service) SetOwnPayoutEmail(ctx context.Context, tenantID, affiliateID, currentPassword, email string) (tracklane.Affiliate, error) {
	hash, err := s.Store.AffiliatePasswordHash(ctx, tenantID, affiliateID)
	e, err := passwordThenPayoutEmail(hash, err, currentPassword, email)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	if e == "" {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Invalid, "payout email is required")
	}
	return s.changePayoutEmail(ctx, tenantID, affiliateID, e, "you")
}

// passwordThenPayoutEmail checks a payout email form in its order: the
// password hash was read (hashErr nil), pw is its password (else
// unauthorized, whatever else was typed: only then was a password
// compared), then email passes PayoutEmail.
func passwordThenPayoutEmail(hash string, hashErr error, pw, email string) (string, error) {
	if hashErr != nil {
		return "", hashErr
	}
	if err := checkCurrentPassword(hash, pw); err != nil {
		return "", err
	}
	return PayoutEmail(email)
}

// changePayoutEmail stores the affiliate's new payout email e (checked)
// and, when it changed, mails the address payouts went to before (the
// login email when there was none): by says who changed it. Pending
// payouts keep their address.
func (s Service) changePayoutEmail(ctx context.Context, tenantID, affiliateID, e, by string) (tracklane.Affiliate, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return s.Store.SetAffiliatePayoutEmail(ctx, tenantID, affiliateID, e, func(before tracklane.Affiliate) (mail.Message, error) {
		to := before.PayoutEmail
		if to == "" {
			to = before.Email
		}
		m, err := tenantMail(t.ID, mail.KindPayoutEmailChanged, to, "Your payout email for "+t.Name+" was changed",
			mail.PayoutEmailChangedData{Program: t.Name, Name: before.Name, By: by, Old: before.PayoutEmail, New: e, Link: s.PortalURL(t) + "/login"})
		if err != nil {
			return mail.Message{}, fmt.Errorf("mailing affiliate %s of a new payout email: %w", before.ID, err)
		}
		return m, nil
	})
}
