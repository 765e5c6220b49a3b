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
