package apishape

import (
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Click is a click as the API lists it.
type Click struct {
	ID          string  `json:"id"`
	AffiliateID string  `json:"affiliate_id"`
	LandingURL  string  `json:"landing_url"`
	Referrer    string  `json:"referrer"`
	CreatedAt   string  `json:"created_at"`
	ExternalCID *string `json:"external_cid"`
	UTMSource   string  `json:"utm_source"`
	UTMMedium   string  `json:"utm_medium"`
	UTMCampaign string  `json:"utm_campaign"`
	UTMTerm     string  `json:"utm_term"`
	UTMContent  string  `json:"utm_content"`
	Device      string  `json:"device"`
	createdAt   time.Time
}

// NewClick renders k.
func NewClick(k tracklane.Click) Click {
	return Click{
		ID: k.ID, AffiliateID: k.AffiliateID, LandingURL: k.LandingURL, Referrer: k.Referrer,
		CreatedAt: rfc3339(k.CreatedAt), ExternalCID: nullable(k.ExternalCID), UTMSource: k.UTMSource, UTMMedium: k.UTMMedium,
		UTMCampaign: k.UTMCampaign, UTMTerm: k.UTMTerm, UTMContent: k.UTMContent, Device: k.Device,
		createdAt: k.CreatedAt,
	}
}

// Position is the click's keyset position (its full-precision time and
// id), where the next page of a list starts after.
func (k Click) Position() (time.Time, string) { return k.createdAt, k.ID }
