package account

import (
	"context"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/password"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// RequestAffiliateReset mails a one-use password reset link (valid
// ResetLife) to the affiliate of the tenant's program with this email, if
// there is one (and the address has not reached the cap on mails). It
// answers nil either way, after ResetPace: the form must not tell who is a
// member.
func (s Service) RequestAffiliateReset(ctx context.Context, t tracklane.Tenant, email string) error {
	e, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	defer pace(ctx, time.Now())
	a, _, err := s.Store.AffiliateLogin(ctx, t.ID, e)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	secret := ident.Secret()
	link := s.PortalURL(t) + "/reset/" + secret
	m, err := resetMail(t, a.Email, t.Name+"'s affiliate program", a.Name, link)
	if err != nil {
		return fmt.Errorf("mailing affiliate %s a reset link: %w", a.ID, err)
	}
	now := s.now()
	_, err = s.Store.CreateOneUseToken(ctx, tracklane.OneUseToken{
		Hash: HashToken(secret), Purpose: tracklane.PurposeAffiliateReset, TenantID: t.ID, AffiliateID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(ResetLife),
	}, &m)
	return err
}

// RequestUserReset mails a one-use password reset link (valid ResetLife)
// to the merchant's dashboard user with this email, if there is one; nil
// either way, after ResetPace.
func (s Service) RequestUserReset(ctx context.Context, email string) error {
	e, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	defer pace(ctx, time.Now())
	u, err := s.Store.UserByEmail(ctx, e)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t, err := s.Store.Tenant(ctx, u.TenantID)
	if err != nil {
		return err
	}
	secret := ident.Secret()
	link := s.PublicURL + "/reset/" + secret
	m, err := resetMail(t, u.Email, "Tracklane ("+t.Name+")", "", link)
	if err != nil {
		return fmt.Errorf("mailing user %d a reset link: %w", u.ID, err)
	}
	now := s.now()
	_, err = s.Store.CreateOneUseToken(ctx, tracklane.OneUseToken{
		Hash: HashToken(secret), Purpose: tracklane.PurposeUserReset, TenantID: t.ID, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(ResetLife),
	}, &m)
	return err
}

// resetMail is the password reset mail of an account of t (program says
// which: the affiliate program or the dashboard) to email.
func resetMail(t tracklane.Tenant, email, program, name, link string) (mail.Message, error) {
	return tenantMail(t.ID, mail.KindPasswordReset, email, "Set a new password for "+program,
		mail.PasswordResetData{Program: program, Name: name, Email: email, Link: link, Valid: "1 hour"})
}

// CheckLink returns the live one-use link of this purpose (its form may be
// shown); store.ErrLinkGone when it is unknown, used or expired.
func (s Service) CheckLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose) (tracklane.OneUseToken, error) {
	if !ValidLinkSecret(secret) {
		return tracklane.OneUseToken{}, store.ErrLinkGone
	}
	return s.Store.LiveOneUseToken(ctx, HashToken(secret), purpose, s.now())
}

// UseLink spends a one-use link of this purpose to set a new password
// (checked by the password rule first: a refused password spends
// nothing). The owner's other links are retired and their sessions end.
// It returns the spent link (whose password was set). A link unknown, used
// or expired → store.ErrLinkGone.
func (s Service) UseLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose, newPassword string) (tracklane.OneUseToken, error) {
	if !ValidLinkSecret(secret) {
		return tracklane.OneUseToken{}, store.ErrLinkGone
	}
	owner, err := s.linkOwner(ctx, secret, purpose)
	if err != nil {
		return tracklane.OneUseToken{}, err
	}
	if err := password.Check(newPassword, owner); err != nil {
		return tracklane.OneUseToken{}, err
	}
	hash, err := HashPassword(newPassword, s.BcryptCost)
	if err != nil {
		return tracklane.OneUseToken{}, err
	}
	return s.Store.UseOneUseToken(ctx, HashToken(secret), purpose, s.now(), hash)
}

// linkOwner is whose password a live one-use link sets: the affiliate's
// or the dashboard user's email and name (a user's name is their
// tenant's), for the password rule. A link unknown, used or expired →
// store.ErrLinkGone.
func (s Service) linkOwner(ctx context.Context, secret string, purpose tracklane.TokenPurpose) (password.Owner, error) {
	tok, err := s.CheckLink(ctx, secret, purpose)
	if err != nil {
		return password.Owner{}, err
	}
	if tok.AffiliateID != "" {
		a, err := s.Store.Affiliate(ctx, tok.TenantID, tok.AffiliateID)
		return password.Owner{Email: a.Email, Name: a.Name}, err
	}
	u, err := s.Store.User(ctx, tok.TenantID, tok.UserID)
	if err != nil {
		return password.Owner{}, err
	}
	t, err := s.Store.Tenant(ctx, tok.TenantID)
	return password.Owner{Email: u.Email, Name: t.Name}, err
}

// ResetPace is the least time a reset request takes, for a known email or
// not. A member's request reads more and writes a link and its mail; a
// stranger's only looks; without the pace the answer's time tells one from
// the other, which its words do not. It is ten times what the member's
// work takes on a busy small machine, and the forms are throttled (a few
// an hour per email, 10 per network), so it costs no one much.
const ResetPace = 400 * time.Millisecond

// pace waits until ResetPace has passed since start (or ctx ends).
func pace(ctx context.Context, start time.Time) {
	t := time.NewTimer(ResetPace - time.Since(start))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ConfirmEmail spends an applicant's confirm_email link (SPEC section 14):
// their address is confirmed and, while t's program approves
// automatically, they become active. It returns the affiliate as it now
// is. The caller checks first (CheckLink) that the link is t's. A link
// unknown, used or expired → store.ErrLinkGone.
func (s Service) ConfirmEmail(ctx context.Context, t tracklane.Tenant, secret string) (tracklane.Affiliate, error) {
	if !ValidLinkSecret(secret) {
		return tracklane.Affiliate{}, store.ErrLinkGone
	}
	return s.Store.ConfirmAffiliateEmail(ctx, HashToken(secret), s.now(), t.AffiliateApproval == tracklane.ApprovalAuto)
}
