package tracklane

import "time"

// Click is one visit through an affiliate link. Clicks are append-only.
type Click struct {
	ID          string
	TenantID    string
	AffiliateID string
	CreatedAt   time.Time
	LandingURL  string
	Referrer    string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMTerm     string
	UTMContent  string
	UserAgent   string
	Device      string
	VisitorHash []byte
	// ExternalCID is the customer identifier most recently linked to the
	// click ("" when none); filled by list queries only.
	ExternalCID string
	// CookieCID is the click id the visitor's cookie holds ("" when none);
	// an input of recording only, never stored.
	CookieCID string
}

// RepeatWindow: a visit of the same tenant, affiliate and visitor within it
// gets the earlier click instead of a new one.
const RepeatWindow = time.Hour

// Link ties a customer identifier (a normalised email) to a click.
type Link struct {
	ID              int64
	TenantID        string
	ExternalCID     string
	ClickID         string
	ClickCreatedAt  time.Time
	AffiliateID     string
	RevenueOriginID string
	CreatedAt       time.Time
	Flags           []string // fraud signals the link raised
}
