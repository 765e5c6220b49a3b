package tracklane

import "time"

// PayoutBalance is what one affiliate is owed in one currency right now:
// the payable commission (approved conversions in no payout) plus the open
// clawback adjustments (negative: what they owe).
type PayoutBalance struct {
	AffiliateID    string
	AffiliateName  string
	AffiliateEmail string
	PayoutEmail    string
	Currency       string
	Payable        int64 // minor units
	Conversions    int   // how many conversions Payable sums
	Adjustments    int64 // open adjustments, minor units (≤ 0 for debts)
}

// Net is what a payout created now would pay.
func (b PayoutBalance) Net() int64 { return b.Payable + b.Adjustments }

// PayoutDebt is one entry of the clawback ledger: an amount an affiliate
// owes (negative) or is owed back (positive) on a conversion whose
// commission was already paid, settled by the payout that holds it.
type PayoutDebt struct {
	ID           int64
	AffiliateID  string
	ConversionID string
	Currency     string
	Amount       int64
	Reason       string
	CreatedAt    time.Time
	PayoutID     string // "" while open
}
