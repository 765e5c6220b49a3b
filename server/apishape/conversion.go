package apishape

import (
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Conversion is a conversion as the API lists it (SPEC sections 5 and 11).
type Conversion struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	Amount             int64     `json:"amount"`
	Currency           string    `json:"currency"`
	Commission         int64     `json:"commission"`
	AffiliateID        string    `json:"affiliate_id"`
	ClickID            *string   `json:"click_id"`
	Source             string    `json:"source"`
	Flags              []string  `json:"flags"`
	ExternalCID        string    `json:"external_cid"`
	StripeAccount      *string   `json:"stripe_account"`
	StripeCustomer     *string   `json:"stripe_customer"`
	StripeInvoice      *string   `json:"stripe_invoice"`
	StripeCharge       *string   `json:"stripe_charge"`
	StripeSubscription *string   `json:"stripe_subscription"`
	Livemode           bool      `json:"livemode"`
	CreatedAt          string    `json:"created_at"`
	UpdatedAt          string    `json:"updated_at"`
	History            []History `json:"history"`
	PayoutID           *string   `json:"payout_id"`
	// SPEC section 11: where it came from, and what the site reported.
	Origin         string            `json:"origin"`
	ConversionType *string           `json:"conversion_type"`
	ExternalID     *string           `json:"external_id"`
	CustomerID     *string           `json:"customer_id"`
	CustomParams   map[string]string `json:"custom_params"`
	createdAt      time.Time
}

// History is one change of a conversion and what caused it.
type History struct {
	At          string  `json:"at"`
	Status      string  `json:"status"`
	Reason      string  `json:"reason"`
	StripeEvent *string `json:"stripe_event"`
	Amount      int64   `json:"amount"`
	Commission  int64   `json:"commission"`
}

// NewConversion renders c.
func NewConversion(c tracklane.Conversion) Conversion {
	out := Conversion{
		ID: c.ID, Status: string(c.Status), Amount: c.Amount, Currency: c.Currency, Commission: c.Commission,
		AffiliateID: c.AffiliateID, ClickID: nullable(c.ClickID), Source: string(c.Source), Flags: append([]string{}, c.Flags...), ExternalCID: c.ExternalCID, StripeAccount: nullable(c.StripeAccount),
		StripeCustomer: nullable(c.StripeCustomer), StripeInvoice: nullable(c.StripeInvoice),
		StripeCharge: nullable(c.StripeCharge), StripeSubscription: nullable(c.StripeSubscription),
		Livemode: c.Livemode, CreatedAt: rfc3339(c.CreatedAt), UpdatedAt: rfc3339(c.UpdatedAt),
		History: make([]History, len(c.History)), createdAt: c.CreatedAt,
		PayoutID: nullable(c.PayoutID),
		Origin:   string(c.Origin), ConversionType: nullable(c.ConversionType), ExternalID: nullable(c.ExternalID),
		CustomerID: nullable(c.CustomerID), CustomParams: c.CustomParams,
	}
	if out.CustomParams == nil {
		out.CustomParams = map[string]string{}
	}
	for i, h := range c.History {
		out.History[i] = History{At: rfc3339(h.At), Status: string(h.Status), Reason: h.Reason,
			StripeEvent: nullable(h.StripeEvent), Amount: h.Amount, Commission: h.Commission}
	}
	return out
}

// Position is the conversion's keyset position (its full-precision
// creation time and id), where the next page of a list starts after.
func (c Conversion) Position() (time.Time, string) { return c.createdAt, c.ID }
