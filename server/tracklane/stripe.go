package tracklane

import "time"

// StripeConnection binds a Stripe account in one mode (live or test) to a
// tenant, with the sync cursor and the outcome of the last check.
type StripeConnection struct {
	ID            int64
	TenantID      string
	AccountID     string
	Livemode      bool
	UserID        string
	TokenHint     string
	Active        bool
	ConnectedAt   time.Time
	CursorEventID string
	CursorCreated int64
	BackfillAfter string
	BackfillSince int64
	LastCheck     *CheckResult // nil before the first check
	NextCheckAt   time.Time
	// UninstalledAt is when the Stripe App was uninstalled from the account
	// (the connection is then inactive); nil if it never was since it was
	// last connected.
	UninstalledAt *time.Time
}

// CheckResult is the outcome of one check of a connection.
type CheckResult struct {
	StartedAt          time.Time
	FinishedAt         *time.Time
	EventsSeen         int
	ConversionsCreated int
	ConversionsUpdated int
	Error              string
}
