package account

import (
	"context"
	"fmt"

	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Invitation is an invitation just made: its link, and whether it was
// mailed (false when the affiliate's address had reached the cap on
// mails, SPEC section 14: the link is then only shown to the merchant).
type Invitation struct {
	Link   string
	Mailed bool
}

// InviteAffiliate makes a one-use invitation link for one of the tenant's
// affiliates (valid InviteLife; it lets them set a password) and mails it
// to them, in one transaction; it retires the affiliate's earlier
// invitations. The dashboard and the CLI show the link, so a set-up
// without mail (or an address past its cap) still works.
func (s Service) InviteAffiliate(ctx context.Context, tenantID, affiliateID string) (Invitation, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return Invitation{}, err
	}
	a, err := s.Store.Affiliate(ctx, tenantID, affiliateID)
	if err != nil {
		return Invitation{}, err
	}
	secret := ident.Secret()
	link := s.PortalURL(t) + "/invite/" + secret
	now := s.now()
	m, err := tenantMail(t.ID, mail.KindInvitation, a.Email, t.Name+" invites you to its affiliate program",
		mail.InvitationData{Program: t.Name, Name: a.Name, Link: link, Valid: "7 days"})
	if err != nil {
		return Invitation{}, fmt.Errorf("inviting affiliate %s: %w", a.ID, err)
	}
	mailed, err := s.Store.CreateOneUseToken(ctx, tracklane.OneUseToken{
		Hash: HashToken(secret), Purpose: tracklane.PurposeInvite, TenantID: t.ID, AffiliateID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(InviteLife),
	}, &m)
	if err != nil {
		return Invitation{}, err
	}
	if !mailed {
		s.log().WarnContext(ctx, "invitation not mailed: the address reached the cap on mails", "affiliate", a.ID,
			"cap", mail.RecipientCap, "window", mail.RecipientCapWindow)
	}
	return Invitation{Link: link, Mailed: mailed}, nil
}
