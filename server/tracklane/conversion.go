package tracklane

import (
	"time"

	"github.com/tracklane/tracklane/server/conversion"
)

// Conversion is an attributed payment and the affiliate's commission on it.
type Conversion struct {
	ID                 string
	TenantID           string
	AffiliateID        string
	ClickID            string // "" when a promotion code attributed it
	ExternalCID        string
	RevenueOriginID    string
	Source             Source
	Coupon             string   // the promotion code, for SourceCoupon
	Flags              []string // fraud signals of the link that attributed it
	StripeAccount      string
	Livemode           bool
	SourceID           string
	StripeCustomer     string
	StripeInvoice      string
	StripeCharge       string
	StripeSubscription string
	Currency           string
	GrossAmount        int64 // paid excluding tax
	Amount             int64 // after refunds
	Commission         int64
	Status             conversion.Status
	ManualStatus       string
	CreatedAt          time.Time // the payment's time
	UpdatedAt          time.Time
	History            []HistoryEntry // oldest first
	// PayoutID is the payout holding its commission; "" when none.
	PayoutID string
	// Origin is where the conversion came from; the fields below it are
	// those of a conversion the site reported (SPEC section 11).
	Origin         Origin
	ConversionType string            // "sale", "lead", …; "" for Stripe's
	ExternalID     string            // the site's id of it (deduplicates)
	CustomerID     string            // the site's customer id
	CustomParams   map[string]string // Trackdesk's advS1…advS5
}

// HistoryEntry is one change of a conversion and what caused it.
type HistoryEntry struct {
	At          time.Time
	Status      conversion.Status
	Reason      string
	StripeEvent string // "" when not caused by a Stripe event
	Amount      int64
	Commission  int64
}

// Source says what attributed a customer or a conversion to its affiliate.
type Source string

// The sources, in the order of precedence when several apply to a
// customer's first attributed payment.
const (
	SourceCoupon  Source = "coupon"   // a promotion code assigned to the affiliate
	SourceClickID Source = "click_id" // a click id carried into Stripe
	SourceEmail   Source = "email"    // the thank-you page's email link
)
