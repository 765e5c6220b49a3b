package account

import (
	"context"

	"github.com/tracklane/tracklane/server/tracklane"
)

// SetPayoutEmail sets where one of the tenant's affiliates is paid (the
// merchant's dashboard, the affiliate's portal settings); "" clears it,
// anything else must be an email.
func (s Service) SetPayoutEmail(ctx context.Context, tenantID, affiliateID, email string) (tracklane.Affiliate, error) {
	e, err := OptionalEmail(email, "payout email")
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return s.Store.SetAffiliatePayoutEmail(ctx, tenantID, affiliateID, e)
}

// SetOwnPayoutEmail sets where an affiliate is paid, from the affiliate's
// own portal settings: there it must be an email (an affiliate cannot
// clear where they are paid; the merchant can, with SetPayoutEmail).
func (s Service) SetOwnPayoutEmail(ctx context.Context, tenantID, affiliateID, email string) (tracklane.Affiliate, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return s.Store.SetAffiliatePayoutEmail(ctx, tenantID, affiliateID, e)
}
