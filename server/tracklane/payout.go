package tracklane

import "time"

// Payout is one payment of commission to an affiliate in one currency: the
// approved conversions it holds, less what the affiliate owes from
// clawbacks (negative adjustments). A pending payout's amount follows its
// conversions; a paid one is frozen.
type Payout struct {
	ID            string
	TenantID      string
	AffiliateID   string
	Currency      string
	Amount        int64 // minor units: commissions plus adjustments
	Status        PayoutStatus
	ConversionIDs []string
	Adjustments   []PayoutAdjustment
	// PayoutEmail is where the payout goes: the affiliate's payout email
	// when it was created, kept whatever the affiliate changes later
	// (SPEC section 14).
	PayoutEmail string
	// AffiliatePayoutEmail is the affiliate's payout email now (read with
	// the payout): the merchant is shown both when they differ.
	AffiliatePayoutEmail string
	Reference            string
	CreatedAt            time.Time
	PaidAt               *time.Time
}

// PayoutStatus is where a payout stands: pending → paid, or cancelled.
type PayoutStatus string

// The statuses of SPEC section 9.
const (
	PayoutPending   PayoutStatus = "pending"
	PayoutPaid      PayoutStatus = "paid"
	PayoutCancelled PayoutStatus = "cancelled"
)

// PayoutAdjustment is a debt (negative) or credit settled in a payout: a
// clawback of commission already paid on a conversion that was later
// refunded or lost in a dispute.
type PayoutAdjustment struct {
	ConversionID string
	Amount       int64
	Reason       string
}
