package account

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// PortalStore is the storage of the affiliate portal's actions (part of
// Store): applications, statuses, passwords and one-use links.
type PortalStore interface {
	Affiliate(ctx context.Context, tenantID, id string) (tracklane.Affiliate, error)
	TenantBySlug(ctx context.Context, slug string) (tracklane.Tenant, error)
	TenantUserEmails(ctx context.Context, tenantID string) ([]string, error)
	UserByEmail(ctx context.Context, email string) (tracklane.User, error)
	AffiliateLogin(ctx context.Context, tenantID, email string) (tracklane.Affiliate, string, error)
	ApplyAffiliate(ctx context.Context, app tracklane.Application) (tracklane.Affiliate, error)
	SetAffiliateStatus(ctx context.Context, tenantID, id string, ch store.StatusChange) (tracklane.Affiliate, error)
	SetAffiliatePayoutEmail(ctx context.Context, tenantID, affiliateID, email string, notify store.PayoutEmailMail) (tracklane.Affiliate, error)
	AffiliatePasswordHash(ctx context.Context, tenantID, id string) (string, error)
	SetAffiliatePassword(ctx context.Context, tenantID, id, hash string, keepSession []byte) error
	UserPasswordHash(ctx context.Context, tenantID string, userID int64) (string, error)
	CreateOneUseToken(ctx context.Context, t tracklane.OneUseToken, m *mail.Message) (mailed bool, err error)
	LiveOneUseToken(ctx context.Context, hash []byte, purpose tracklane.TokenPurpose, now time.Time) (tracklane.OneUseToken, error)
	UseOneUseToken(ctx context.Context, hash []byte, purpose tracklane.TokenPurpose, now time.Time, passwordHash string) (tracklane.OneUseToken, error)
	ConfirmAffiliateEmail(ctx context.Context, hash []byte, now time.Time, activate bool) (tracklane.Affiliate, error)
}

// How long one-use links work (SPEC sections 8 and 14).
const (
	InviteLife  = 7 * 24 * time.Hour
	ResetLife   = time.Hour
	ConfirmLife = 24 * time.Hour
)

// PortalURL is a program's portal address: <PUBLIC_URL>/p/<slug>.
func PortalURL(publicURL, slug string) string { return publicURL + "/p/" + slug }

// PortalURL is a tenant's portal address on this instance.
func (s Service) PortalURL(t tracklane.Tenant) string { return PortalURL(s.PublicURL, t.Slug) }

// ValidLinkSecret reports whether s has the shape of a one-use link's
// secret (anything else is not looked up).
func ValidLinkSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
