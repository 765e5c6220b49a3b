package account

import (
	"context"

	"github.com/tracklane/tracklane/server/store"
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
	secret := newLinkSecret()
	link := s.PortalURL(t) + "/invite/" + secret
	now := s.now()
	m := invitationMail.message(t.ID, a.Email, mailData{Program: t.Name, Name: a.Name, Email: a.Email, Link: link, ValidFor: "7 days"})
	if err := s.Store.CreateOneUseToken(ctx, store.OneUseToken{
		Hash: HashToken(secret), Purpose: store.PurposeInvite, TenantID: t.ID, AffiliateID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(InviteLife),
	}, &m); err != nil {
		return "", err
	}
	return link, nil
}
