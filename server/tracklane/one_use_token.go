package tracklane

import "time"

// TokenPurpose says what a one-use link does.
type TokenPurpose string

// The one-use links.
const (
	PurposeInvite         TokenPurpose = "invite"          // an affiliate sets a first password
	PurposeAffiliateReset TokenPurpose = "affiliate_reset" // an affiliate sets a new password
	PurposeUserReset      TokenPurpose = "user_reset"      // a merchant sets a new password
	PurposeConfirmEmail   TokenPurpose = "confirm_email"   // an applicant confirms their address (approval auto)
)

// RetiresEarlier reports whether a new link of purpose p retires the
// account's earlier live links of p (SPEC section 14: a new invitation
// retires the earlier ones; so does a new confirmation link). Resets do
// not: two requests in a row must not make the first mail's link fail.
func (p TokenPurpose) RetiresEarlier() bool {
	return p == PurposeInvite || p == PurposeConfirmEmail
}

// OneUseToken is a one-use link as stored: the sha256 of its secret.
// AffiliateID or UserID names whose account it is for. Using one retires
// every other live link of that account and ends its sessions.
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
