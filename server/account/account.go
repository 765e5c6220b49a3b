// Package account creates and edits what a merchant sets up: tenants with
// their first user and token, settings, affiliates, personal tokens and
// revenue origins, and authenticates personal tokens. Each action is one
// method of Service, used alike by the CLI, the API, the dashboard and the
// Stripe App, so its checks and side effects (such as re-bucketing the
// rollups when the timezone changes) happen whichever door it comes
// through. Input is checked and normalised here; storage is the store's.
package account

import (
	"context"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Store is the storage the account operations use (*store.Store).
type Store interface {
	CreateTenant(ctx context.Context, n store.NewTenant) (tracklane.Tenant, error)
	Tenant(ctx context.Context, id string) (tracklane.Tenant, error)
	// User is one of the tenant's dashboard users; not_found when none.
	User(ctx context.Context, tenantID string, id int64) (tracklane.User, error)
	UpdateTenantSettings(ctx context.Context, t tracklane.Tenant) (tracklane.Tenant, error)
	// Payouts (payout.go).
	Affiliate(ctx context.Context, tenantID, id string) (tracklane.Affiliate, error)
	CreatePayouts(ctx context.Context, tenantID, affiliateID string, newID func() string) ([]tracklane.Payout, error)
	MarkPayoutPaid(ctx context.Context, tenantID, id, reference string, compose store.PayoutMail) (tracklane.Payout, error)
	CancelPayout(ctx context.Context, tenantID, id string) (tracklane.Payout, error)
	Payouts(ctx context.Context, tenantID string, f store.PayoutFilter, p store.Page) ([]tracklane.Payout, error)
	// EnsureRollups re-buckets the tenant's daily rollups when they are not
	// in its timezone.
	EnsureRollups(ctx context.Context, t tracklane.Tenant) error
	CreatePersonalToken(ctx context.Context, tenantID, name string, hash []byte, hint string) error
	// PersonalTokenByHash finds a token, revoked or not; not_found if none.
	PersonalTokenByHash(ctx context.Context, hash []byte) (tracklane.PersonalToken, error)
	RecordTokenUse(ctx context.Context, id int64, at time.Time) error
	RevokePersonalToken(ctx context.Context, tenantID string, id int64) error
	CreateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error)
	SetAffiliateCoupons(ctx context.Context, tenantID, affiliateID string, codes []string) ([]string, error)
	UpdateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error)
	CreateRevenueOrigin(ctx context.Context, tenantID, id, name string) (tracklane.RevenueOrigin, error)
	ConversionTypeStore
	PortalStore
}

// Service performs account operations against a Store. The zero values of
// its optional fields are usable.
type Service struct {
	Store Store
	// BcryptCost is the password hashing cost (bcrypt.DefaultCost if 0;
	// tests lower it).
	BcryptCost int
	// Log receives what fails without failing the action (recording a
	// token's use); nil discards it.
	Log *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// PublicURL is PUBLIC_URL: the links that mails and answers carry
	// (portal, invitations, resets) start with it.
	PublicURL string
}

func (s Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func checkRule(r conversion.Rule) error {
	switch r.Type {
	case conversion.Percent:
		if r.BasisPoints < 0 || r.BasisPoints > 10000 {
			return apperr.Errorf(apperr.Invalid, "commission percent must be between 0 and 100")
		}
	case conversion.Fixed:
		if r.Fixed < 0 || r.Fixed > 1_000_000_000_00 {
			return apperr.Errorf(apperr.Invalid, "fixed commission must be a non-negative amount in minor units")
		}
		if r.Currency != strings.ToLower(r.Currency) || !money.IsCurrency(r.Currency) {
			return apperr.Errorf(apperr.Invalid, "a fixed commission needs a currency, an ISO 4217 code like usd")
		}
	default:
		return apperr.Errorf(apperr.Invalid, "commission type must be percent or fixed")
	}
	return nil
}

// NormalizeEmail trims and case-folds an email and checks its shape.
func NormalizeEmail(s string) (string, error) {
	e := tracklane.FoldEmail(s)
	if e == "" {
		return "", apperr.Errorf(apperr.Invalid, "email is required")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", apperr.Errorf(apperr.Invalid, "%q is not an email address", capRunes(e, 80))
	}
	return e, nil
}

// OptionalURL checks an optional absolute http(s) URL.
func OptionalURL(s, field string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return "", apperr.Errorf(apperr.Invalid, "%s must be an absolute http(s) URL", field)
	}
	return u.String(), nil
}

func cleanName(s, field string) (string, error) {
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00") {
		return "", apperr.Errorf(apperr.Invalid, "%s must be text", field)
	}
	s = tracklane.CleanName(s)
	if s == "" {
		return "", apperr.Errorf(apperr.Invalid, "%s is required", field)
	}
	if utf8.RuneCountInString(s) > 200 {
		return "", apperr.Errorf(apperr.Invalid, "%s must be at most 200 characters", field)
	}
	return s, nil
}

func capRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// HashPassword hashes a dashboard password with bcrypt.
func HashPassword(pw string, cost int) (string, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", apperr.Errorf(apperr.Invalid, "password cannot be used: %v", err)
	}
	return string(h), nil
}
