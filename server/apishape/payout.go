package apishape

import (
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Payout is a payout as SPEC section 9 writes it (the API and the CLI
// print it alike).
type Payout struct {
	ID            string       `json:"id"`
	AffiliateID   string       `json:"affiliate_id"`
	Currency      string       `json:"currency"`
	Amount        int64        `json:"amount"`
	Status        string       `json:"status"`
	ConversionIDs []string     `json:"conversion_ids"`
	Adjustments   []Adjustment `json:"adjustments"`
	PayoutEmail   *string      `json:"payout_email"`
	Reference     *string      `json:"reference"`
	CreatedAt     string       `json:"created_at"`
	PaidAt        *string      `json:"paid_at"`
	createdAt     time.Time
}

// Adjustment is a debt or credit settled in a payout.
type Adjustment struct {
	ConversionID string `json:"conversion_id"`
	Amount       int64  `json:"amount"`
	Reason       string `json:"reason"`
}

// NewPayout renders p.
func NewPayout(p tracklane.Payout) Payout {
	out := Payout{ID: p.ID, AffiliateID: p.AffiliateID, Currency: p.Currency, Amount: p.Amount, Status: string(p.Status),
		ConversionIDs: append([]string{}, p.ConversionIDs...), Adjustments: []Adjustment{},
		PayoutEmail: nullable(p.PayoutEmail), Reference: nullable(p.Reference), CreatedAt: rfc3339(p.CreatedAt), createdAt: p.CreatedAt}
	for _, a := range p.Adjustments {
		out.Adjustments = append(out.Adjustments, Adjustment{ConversionID: a.ConversionID, Amount: a.Amount, Reason: a.Reason})
	}
	if p.PaidAt != nil {
		s := rfc3339(*p.PaidAt)
		out.PaidAt = &s
	}
	return out
}

// Position is the payout's keyset position (its full-precision creation
// time and id), where the next page of a list starts after.
func (p Payout) Position() (time.Time, string) { return p.createdAt, p.ID }
