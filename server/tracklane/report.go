package tracklane

import "time"

// DayRange is a span of tenant-local calendar days, From inclusive and To
// exclusive; only the dates of From and To matter.
type DayRange struct {
	From, To time.Time
}

// Money is an amount per currency: amounts in different currencies are
// never added together.
type Money struct {
	Currency   string
	Revenue    int64 // net amount paid (after refunds), non-test conversions
	Commission int64 // commission that stands: approved and pending
	Owed       int64 // commission of approved conversions
	Pending    int64 // commission of pending and disputed conversions
}

// DayTotals is one tenant-local day of the overview chart.
type DayTotals struct {
	Day         time.Time
	Clicks      int64
	Uniques     int64
	Conversions int64
}

// AffiliateTotals is an affiliate's activity over a range.
type AffiliateTotals struct {
	AffiliateID string
	Name        string
	Code        string
	Clicks      int64
	Uniques     int64
	Conversions int64
	Money       []Money // by currency
}

// Overview is a tenant's dashboard summary over a range of days.
type Overview struct {
	Clicks          int64
	Uniques         int64 // sum of daily uniques
	Links           int64 // customers (emails) first linked to a click in the period, each counted once
	Conversions     int64 // not counting test-mode ones
	TestConversions int64
	Money           []Money
	Days            []DayTotals // every day of the range, zeros included
}
