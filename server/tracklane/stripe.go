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

	Payment      *PaymentFact      // invoice.paid, a captured charge without invoice
	Charge       *ChargeFact       // charge.*: what is known of the charge
	Subscription *SubscriptionFact // customer.subscription.deleted
	Hints        []HintFact        // checkout.session.completed, customer.*, payment_intent.succeeded

	Refunds        []RefundFact        // charge.refund.updated, and refunds a charge names
	InvoicePayment *InvoicePaymentFact // invoice_payment.paid
	CreditNote     *CreditNoteFact     // credit_note.created, credit_note.voided
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
	// PaymentIntentID is the charge's payment intent, which an
	// invoice_payment.paid event names; "" when unknown.
	PaymentIntentID string
	// AmountCaptured is what the charge captured (0 while only
	// authorised); nil when the event does not say. It only grows.
	AmountCaptured *int64
}

// RefundFact is one refund of a charge, by its id: a refund counts once,
// and stops counting when it fails or is cancelled.
type RefundFact struct {
	RefundID string
	ChargeID string
	Amount   int64
	Status   string    // Stripe's refund status: succeeded, pending, failed, canceled, …
	At       time.Time // the event's time: a later status wins
}

// Failed reports whether the refund gave nothing back (failed or
// cancelled): its amount no longer counts as refunded.
func (r RefundFact) Failed() bool { return r.Status == "failed" || r.Status == "canceled" }

// InvoicePaymentFact links a payment to the invoice it paid, as
// invoice_payment.paid says it: by payment intent, or by charge for a
// charge made without one. Newer API versions name a charge's invoice only
// this way.
type InvoicePaymentFact struct {
	InvoiceID       string
	PaymentIntentID string
	ChargeID        string
}

// CreditNoteFact is a credit note of an invoice. Unrefunded is the part of
// its post-payment amount not paid back as a refund (credited to the
// customer's balance or outside Stripe): it lowers the invoice's
// conversion, while a refund-backed part is counted by its refund. A void
// credit note lowers nothing.
type CreditNoteFact struct {
	CreditNoteID string
	InvoiceID    string
	Unrefunded   int64
	Void         bool
}

// SubscriptionFact is a subscription's cancellation.
type SubscriptionFact struct {
	SubscriptionID string
	CanceledAt     time.Time
}

// ParkedEvent is a connection's event that could not be read: a lookup it
// needs failed (Stripe refused it: a missing permission, an expansion it
// does not allow) at checks in a row. Once parked, the connection's later
// events go on without it, and every later check tries it again until it
// applies.
type ParkedEvent struct {
	ConnectionID int64
	AccountID    string
	Livemode     bool
	EventID      string
	Type         string
	Created      time.Time // the event's time
	Error        string    // the last failure, as Stripe said it
	Failures     int       // checks that failed on it
	ParkedAt     time.Time
	LastTriedAt  time.Time
	Payload      []byte // the event as Stripe sent it, to try it again
}

// ChargeLinks is what the store knows of how charges link to invoices:
// the invoice each known charge paid ("" for one known to be invoice-less)
// and the invoices payment intents paid.
type ChargeLinks struct {
	Charges        map[string]string // charge id → invoice id, "" when it belongs to none
	PaymentIntents map[string]string // payment intent id → invoice id
}
