package apishape

import (
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Affiliate is an affiliate as the API writes it.
type Affiliate struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Email       string   `json:"email"`
	Code        string   `json:"code"`
	LandingURL  string   `json:"landing_url"`
	Link        string   `json:"link"`
	Coupons     []string `json:"coupons"`
	Status      string   `json:"status"`
	PayoutEmail string   `json:"payout_email"`
	CreatedAt   string   `json:"created_at"`
	createdAt   time.Time
}

// NewAffiliate renders a with its referral link (account.Link of the
// instance's public address and the affiliate's code).
func NewAffiliate(a tracklane.Affiliate, link string) Affiliate {
	return Affiliate{
		ID: a.ID, Name: a.Name, Email: a.Email, Code: a.Code, LandingURL: a.LandingURL,
		Link: link, Coupons: upper(a.Coupons),
		Status: string(a.Status), PayoutEmail: a.PayoutEmail, CreatedAt: rfc3339(a.CreatedAt), createdAt: a.CreatedAt,
	}
}

// Position is the affiliate's keyset position (its full-precision
// creation time and id), where the next page of a list starts after.
func (a Affiliate) Position() (time.Time, string) { return a.createdAt, a.ID }

// upper writes promotion codes as merchants type them in Stripe; never null.
func upper(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = strings.ToUpper(c)
	}
	return out
}
