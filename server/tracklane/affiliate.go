package tracklane

import (
	"time"

	"github.com/tracklane/tracklane/server/mail"

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
	Coupons []string
	Status  AffiliateStatus
	// PayoutEmail is where payouts are sent (PayPal); "" when not given.
	PayoutEmail string
	// EmailUnconfirmed marks an applicant of a program that approves
	// automatically who has not opened the link mailed to their address
	// yet: they stay pending and cannot log in (SPEC section 14).
	EmailUnconfirmed bool
	CreatedAt        time.Time
}

// AffiliateStatus is where an affiliate stands in the program. Only an
// active affiliate's code records clicks and earns.
type AffiliateStatus string

// The statuses of SPEC section 8.
const (
	AffiliateActive    AffiliateStatus = "active"    // made by the merchant, or approved
	AffiliatePending   AffiliateStatus = "pending"   // applied, waiting for the merchant
	AffiliateRejected  AffiliateStatus = "rejected"  // the merchant said no
	AffiliateSuspended AffiliateStatus = "suspended" // stopped by the merchant
)

// Application is a portal application as the store writes it: the new
// affiliate (its id, code and status chosen by the caller), its password
// hash, the mails of a new applicant, and the one mail for an address
// already in the program.
type Application struct {
	Affiliate    Affiliate
	PasswordHash string
	Mails        []mail.Message // sent when the affiliate is created
	MemberMail   mail.Message   // sent instead when the email is taken
	// Confirm, when set (approval auto), is the link that confirms the
	// applicant's address, stored for the new affiliate with ConfirmMail.
	// An address already in the program whose owner never confirmed it
	// gets this link (for that affiliate) and mail instead of MemberMail.
	Confirm     *OneUseToken
	ConfirmMail mail.Message
}
