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
	// LastConnectAt is the latest settings save that connected or
	// confirmed the connection: only an uninstall event created at or
	// after it disconnects.
	LastConnectAt time.Time
	// RefusedSince is when Stripe began refusing this connection's checks
	// (401/403), kept across the checks it keeps refusing; nil while
	// Stripe answers. A refusal is not an uninstall: the connection stays
	// connected and is tried at every check.
	RefusedSince *time.Time
}

// CheckResult is the outcome of one check of a connection.
type CheckResult struct {
	StartedAt          time.Time
	FinishedAt         *time.Time
	EventsSeen         int
	ConversionsCreated int
	ConversionsUpdated int
	Error              string
	// RefusedSince is set when Stripe refused the check's key (401/403):
	// since when it has refused, unbroken (this check's start for the
	// first refusal).
	RefusedSince *time.Time
}

// StripeEvent is one Stripe event as the sync engine understood it: its
// identity and the facts it brings. Exactly the non-nil facts are recorded.
type StripeEvent struct {
	ID       string
	Type     string
	Created  time.Time
	Livemode bool
	Via      string // "check" or "webhook", for the record

	Payment      *PaymentFact      // invoice.paid, charge.succeeded without invoice
	Charge       *ChargeFact       // charge.*: what is known of the charge
	Subscription *SubscriptionFact // customer.subscription.deleted
	Hints        []HintFact        // checkout.session.completed, customer.*, payment_intent.succeeded
}

// PaymentFact is a paid invoice or an invoice-less charge.
type PaymentFact struct {
	SourceID       string // invoice id, or the charge id of an invoice-less charge
	CustomerID     string
	Email          string // normalised; "" when unknown
	Amount         int64  // excluding tax
	Currency       string
	PaidAt         time.Time
	InvoiceID      string
	ChargeID       string
	SubscriptionID string
	// PaymentIntentID links an invoice-less charge to its Checkout Session.
	PaymentIntentID string
	// ClickID is the click id the payment's own metadata (tracklane_cid)
	// carries, unchecked; PromotionCodes the promotion codes (folded text)
	// it used.
	ClickID        string
	PromotionCodes []string
}

// HintFact is what a Stripe object other than the payment says about who
// brought its payments: a Checkout Session's client_reference_id or any
// object's metadata.tracklane_cid, and a session's promotion codes. Keys
// are the ids the payments name (customer, subscription, payment intent,
// invoice); Origin is the object that said it.
type HintFact struct {
	Keys           []string
	Origin         string
	ClickID        string
	PromotionCodes []string
}

// ChargeFact is what an event says about a charge: which invoice it paid,
// how much of it is refunded (cumulative), and its dispute.
type ChargeFact struct {
	ChargeID       string
	InvoiceID      string // "" when unknown
	CustomerID     string
	Amount         int64
	Created        time.Time
	AmountRefunded int64  // only grows; the largest seen wins
	DisputeID      string // set by dispute events
	DisputeStatus  string // Stripe's dispute status
}

// SubscriptionFact is a subscription's cancellation.
type SubscriptionFact struct {
	SubscriptionID string
	CanceledAt     time.Time
}
