package store

// The payout rule's SQL fragments, for payout_rule_test.go (package
// store_test), which checks them against package payout row by row.
var (
	EarnedCommissionSQL  = earnedCommission
	PayableConversionSQL = payableConversion
)
