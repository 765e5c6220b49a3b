package tracklane

import (
	"time"

	"github.com/tracklane/tracklane/server/conversion"
)

// Earnings is an affiliate's commission in one currency over a range, split
// by where it stands. Each conversion counts in one part only: Pending
// (pending or disputed: it may still change), Approved (approved and in no
// paid payout: owed) or Paid (approved and in a paid payout). Refunded,
// cancelled, rejected and test conversions earn nothing.
type Earnings struct {
	Currency string
	Pending  int64
	Approved int64
	Paid     int64
}

// AffiliateSummary is one affiliate's activity over a range of the tenant's
// days: what the affiliate portal's Home shows.
type AffiliateSummary struct {
	Clicks      int64
	Uniques     int64       // sum of daily uniques
	Conversions int64       // not counting test-mode ones
	Earnings    []Earnings  // by currency, sorted; never summed across currencies
	Days        []DayTotals // every day of the range, zeros included
}

// PortalConversion is what an affiliate sees of one of its conversions in
// the portal: no Stripe ids, no click, the customer to be shown masked.
type PortalConversion struct {
	ID          string
	Customer    string // the customer identifier (an email, folded); pages mask it
	Currency    string
	GrossAmount int64
	Amount      int64 // after refunds
	Commission  int64
	Status      conversion.Status
	Paid        bool // in a paid payout
	CreatedAt   time.Time
}
