// Package account creates and edits what a merchant sets up: tenants with
// their first user and token, affiliates, personal tokens and settings. It
// checks and normalises input once, for the CLI, the API and the dashboard
// alike, and leaves storage to the store.
package account

import (
	"context"
	"crypto/sha256"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Store is the storage the account operations use.
type Store interface {
	CreateTenant(ctx context.Context, n store.NewTenant) (tracklane.Tenant, error)
	Tenant(ctx context.Context, id string) (tracklane.Tenant, error)
	UpdateTenantSettings(ctx context.Context, t tracklane.Tenant) (tracklane.Tenant, error)
	CreatePersonalToken(ctx context.Context, tenantID, name string, hash []byte, hint string) error
	CreateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error)
	UpdateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error)
	CreateRevenueOrigin(ctx context.Context, tenantID, id, name string) (tracklane.RevenueOrigin, error)
}

// Service performs account operations against a Store.
type Service struct {
	Store Store
	// BcryptCost is the password hashing cost (bcrypt.DefaultCost if 0;
	// tests lower it).
	BcryptCost int
}

// NewTenantInput is what signing up asks for.
type NewTenantInput struct {
	Name, Email, Password, Website string
}

// NewTenantResult carries the one-time secrets of a new tenant.
type NewTenantResult struct {
	Tenant          tracklane.Tenant
	Email           string
	PersonalToken   string // shown once, stored hashed
	RevenueOriginID string
}

// CreateTenant signs up a merchant: tenant, first user, first personal
// token and default revenue origin.
func (s Service) CreateTenant(ctx context.Context, in NewTenantInput) (NewTenantResult, error) {
	name, err := cleanName(in.Name, "name")
	if err != nil {
		return NewTenantResult{}, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return NewTenantResult{}, err
	}
	if utf8.RuneCountInString(in.Password) < 8 || len(in.Password) > 72 {
		return NewTenantResult{}, apperr.Errorf(apperr.Invalid, "password must be 8 to 72 characters")
	}
	website, err := OptionalURL(in.Website, "website")
	if err != nil {
		return NewTenantResult{}, err
	}
	hash, err := HashPassword(in.Password, s.BcryptCost)
	if err != nil {
		return NewTenantResult{}, err
	}
	token := ident.Token()
	originID := ident.UUID()
	t, err := s.Store.CreateTenant(ctx, store.NewTenant{
		ID: ident.New("tn_"), Name: name, Website: website, Email: email, PasswordHash: hash,
		TokenName: "Default", TokenHash: HashToken(token), TokenHint: ident.Hint(token), OriginID: originID,
	})
	if err != nil {
		return NewTenantResult{}, err
	}
	return NewTenantResult{Tenant: t, Email: email, PersonalToken: token, RevenueOriginID: originID}, nil
}

// CreateToken makes a new personal token for a tenant and returns it; only
// its hash is kept.
func (s Service) CreateToken(ctx context.Context, tenantID, name string) (string, error) {
	name, err := cleanName(name, "name")
	if err != nil {
		return "", err
	}
	token := ident.Token()
	if err := s.Store.CreatePersonalToken(ctx, tenantID, name, HashToken(token), ident.Hint(token)); err != nil {
		return "", err
	}
	return token, nil
}

// CreateRevenueOrigin adds a named revenue origin (a product or site the
// thank-you call can name) to a tenant.
func (s Service) CreateRevenueOrigin(ctx context.Context, tenantID, name string) (tracklane.RevenueOrigin, error) {
	name, err := cleanName(name, "the origin's name")
	if err != nil {
		return tracklane.RevenueOrigin{}, err
	}
	return s.Store.CreateRevenueOrigin(ctx, tenantID, ident.UUID(), name)
}

// Link is an affiliate's shareable link: the redirect /r/<code> on the
// public URL.
func Link(publicURL, code string) string { return publicURL + "/r/" + code }

// AffiliateInput is an affiliate as entered; empty Code → generated.
type AffiliateInput struct {
	Name, Email, Code, LandingURL string
	Commission                    *conversion.Rule
}

// CreateAffiliate validates and stores a new affiliate of the tenant.
func (s Service) CreateAffiliate(ctx context.Context, tenantID string, in AffiliateInput) (tracklane.Affiliate, error) {
	a, err := affiliateFromInput(in)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	a.ID, a.TenantID = ident.New("af_"), tenantID
	if a.Code != "" {
		return s.Store.CreateAffiliate(ctx, a)
	}
	for i := 0; ; i++ { // a generated code may collide (very rarely): draw again
		a.Code = ident.Code(8)
		out, err := s.Store.CreateAffiliate(ctx, a)
		if err == nil || !apperr.Is(err, apperr.Conflict) || i == 4 {
			return out, err
		}
	}
}

// UpdateAffiliate validates and stores new values for an existing affiliate.
func (s Service) UpdateAffiliate(ctx context.Context, tenantID, id string, in AffiliateInput) (tracklane.Affiliate, error) {
	if strings.TrimSpace(in.Code) == "" {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Invalid, "code is required")
	}
	a, err := affiliateFromInput(in)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	a.ID, a.TenantID = id, tenantID
	return s.Store.UpdateAffiliate(ctx, a)
}

func affiliateFromInput(in AffiliateInput) (tracklane.Affiliate, error) {
	name, err := cleanName(in.Name, "name")
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	code := tracklane.FoldCode(in.Code)
	if code != "" && !tracklane.ValidCode(code) {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Invalid, "code must be 2 to 40 characters of a-z, 0-9 and -")
	}
	landing, err := OptionalURL(in.LandingURL, "landing_url")
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	if in.Commission != nil {
		if err := checkRule(*in.Commission); err != nil {
			return tracklane.Affiliate{}, err
		}
	}
	return tracklane.Affiliate{Name: name, Email: email, Code: code, LandingURL: landing, Commission: in.Commission}, nil
}

// SettingsInput is a partial settings change: nil fields stay as they are.
type SettingsInput struct {
	Name            *string
	Website         *string
	HoldDays        *int
	CookieDays      *int
	AttributionDays *int
	Commission      *conversion.Rule
	Recurring       *conversion.Recurring
	Timezone        *string
	AllowedHosts    *[]string
}

// UpdateSettings applies a partial settings change to a tenant.
func (s Service) UpdateSettings(ctx context.Context, tenantID string, in SettingsInput) (tracklane.Tenant, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return tracklane.Tenant{}, err
	}
	if in.Name != nil {
		if t.Name, err = cleanName(*in.Name, "name"); err != nil {
			return tracklane.Tenant{}, err
		}
	}
	if in.Website != nil {
		if t.Website, err = OptionalURL(*in.Website, "website"); err != nil {
			return tracklane.Tenant{}, err
		}
	}
	for _, d := range []struct {
		v        *int
		dst      *int
		name     string
		min, max int
	}{
		{in.HoldDays, &t.HoldDays, "hold days", 0, 3650},
		{in.CookieDays, &t.CookieDays, "cookie days", 1, 3650},
		{in.AttributionDays, &t.AttributionDays, "attribution days", 1, 3650},
	} {
		if d.v == nil {
			continue
		}
		if *d.v < d.min || *d.v > d.max {
			return tracklane.Tenant{}, apperr.Errorf(apperr.Invalid, "%s must be between %d and %d", d.name, d.min, d.max)
		}
		*d.dst = *d.v
	}
	if in.Commission != nil {
		if err := checkRule(*in.Commission); err != nil {
			return tracklane.Tenant{}, err
		}
		t.Commission = *in.Commission
	}
	if in.Recurring != nil {
		t.Recurring = *in.Recurring
	}
	if in.Timezone != nil {
		tz := strings.TrimSpace(*in.Timezone)
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			return tracklane.Tenant{}, apperr.Errorf(apperr.Invalid, "timezone must be an IANA name like Europe/Berlin, got %q", tz)
		}
		t.Timezone = tz
	}
	if in.AllowedHosts != nil {
		var hosts []string
		for _, h := range *in.AllowedHosts {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			if !hostPattern.MatchString(h) {
				return tracklane.Tenant{}, apperr.Errorf(apperr.Invalid, "%q is not a host name", h)
			}
			hosts = append(hosts, h)
		}
		t.AllowedHosts = hosts
	}
	return s.Store.UpdateTenantSettings(ctx, t)
}

var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)

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
		if !currencyPattern.MatchString(r.Currency) {
			return apperr.Errorf(apperr.Invalid, "a fixed commission needs a currency, a three-letter ISO code like usd")
		}
	default:
		return apperr.Errorf(apperr.Invalid, "commission type must be percent or fixed")
	}
	return nil
}

var currencyPattern = regexp.MustCompile(`^[a-z]{3}$`)

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
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.Errorf(apperr.Invalid, "%s is required", field)
	}
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00") {
		return "", apperr.Errorf(apperr.Invalid, "%s must be text", field)
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

// HashToken is how personal tokens are stored: SHA-256 (they are 256-bit
// random, so no slow hash is needed).
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
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
