package tracklane

import (
	"time"

	"github.com/tracklane/tracklane/server/conversion"
)

// Affiliate is a partner who earns commission on the customers they bring.
type Affiliate struct {
	ID         string
	TenantID   string
	Name       string
	Email      string
	Code       string // case-folded, unique across the instance
	LandingURL string // "" → the tenant's website
	// Commission overrides the tenant's rule when non-nil.
	Commission *conversion.Rule
	// Coupons are the Stripe promotion codes (folded) assigned to the
	// affiliate: a payment that used one is theirs, no click needed.
	Coupons   []string
	CreatedAt time.Time
}
