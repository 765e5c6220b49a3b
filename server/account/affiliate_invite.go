package account

import (
	"context"
	"fmt"

	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// InviteAffiliate makes a one-use invitation link for one of the tenant's
// affiliates (valid InviteLife; it lets them set a password) and mails it
// to them, in one transaction. It returns the link: the dashboard and the
// CLI show it so a set-up without mail still works.
func (s Service) InviteAffiliate(ctx context.Context, tenantID, affiliateID string) (string, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return "", err
	}
	a, err := s.Store.Affiliate(ctx, tenantID, affiliateID)
	if err != nil {
		return "", err
	}
	secret := ident.Secret()
	link := s.PortalURL(t) + "/invite/" + secret
	now := s.now()
	m, err := tenantMail(t.ID, mail.KindInvitation, a.Email, t.Name+" invites you to its affiliate program",
		mail.InvitationData{Program: t.Name, Name: a.Name, Link: link, Valid: "7 days"})
	if err != nil {
		return "", fmt.Errorf("inviting affiliate %s: %w", a.ID, err)
	}
	if err := s.Store.CreateOneUseToken(ctx, tracklane.OneUseToken{
		Hash: HashToken(secret), Purpose: tracklane.PurposeInvite, TenantID: t.ID, AffiliateID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(InviteLife),
	}, &m); err != nil {
		return "", err
	}
	return link, nil
}
