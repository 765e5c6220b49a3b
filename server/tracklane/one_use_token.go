package tracklane

import "time"

// TokenPurpose says what a one-use link does.
type TokenPurpose string

// The one-use links.
const (
	PurposeInvite         TokenPurpose = "invite"          // an affiliate sets a first password
	PurposeAffiliateReset TokenPurpose = "affiliate_reset" // an affiliate sets a new password
	PurposeUserReset      TokenPurpose = "user_reset"      // a merchant sets a new password
)

// OneUseToken is a one-use link as stored: the sha256 of its secret.
// AffiliateID or UserID names whose password it sets.
type OneUseToken struct {
	Hash        []byte
	Purpose     TokenPurpose
	TenantID    string
	AffiliateID string
	UserID      int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}
