package tracklane

import (
	"time"

	"github.com/tracklane/tracklane/server/conversion"
)

// Tenant is a merchant: its settings and its commission rule.
type Tenant struct {
	ID              string
	Name            string
	Website         string
	CookieDays      int
	AttributionDays int
	HoldDays        int
	Commission      conversion.Rule
	Recurring       conversion.Recurring
	Timezone        string
	AllowedHosts    []string
	CreatedAt       time.Time
	// PayoutMinimum is the least a payout may be, in the minor units of
	// its currency (each affiliate and currency on its own); 0 = any.
	PayoutMinimum int64
	// Slug names the program in its portal's address, /p/<slug>.
	Slug string
	// AffiliateApproval is how a portal application is decided.
	AffiliateApproval Approval
}

// User is a dashboard login of a tenant.
type User struct {
	ID           int64
	TenantID     string
	Email        string
	PasswordHash string
}

// PersonalToken is a tenant's API token as stored: never the token itself.
type PersonalToken struct {
	ID         int64
	TenantID   string
	Name       string
	Hint       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// RevenueOrigin labels where a customer came to pay (a product, a site);
// every tenant has a default one.
type RevenueOrigin struct {
	ID        string
	TenantID  string
	Name      string
	IsDefault bool
	CreatedAt time.Time
}
