package account

import (
	"context"
	"strings"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Link is an affiliate's shareable link: the redirect /r/<code> on the
// public URL.
func Link(publicURL, code string) string { return publicURL + "/r/" + code }

// AffiliateInput is an affiliate as entered; empty Code → generated.
type AffiliateInput struct {
	Name, Email, Code, LandingURL string
	Commission                    *conversion.Rule
	// Coupons are Stripe promotion codes (customer-facing text) to assign
	// to a new affiliate.
	Coupons []string
}

// CreateAffiliate validates and stores a new affiliate of the tenant; an
// unknown tenant is not found.
func (s Service) CreateAffiliate(ctx context.Context, tenantID string, in AffiliateInput) (tracklane.Affiliate, error) {
	if _, err := s.Store.Tenant(ctx, tenantID); err != nil {
		return tracklane.Affiliate{}, err
	}
	a, err := affiliateFromInput(in)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	a.ID, a.TenantID = ident.New("af_"), tenantID
	if a.Coupons, err = cleanCoupons(in.Coupons); err != nil {
		return tracklane.Affiliate{}, err
	}
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

// SetCoupons replaces the Stripe promotion codes assigned to one of the
// tenant's affiliates. Codes are compared case-folded; one held by another
// affiliate of the tenant → conflict, and nothing changes.
func (s Service) SetCoupons(ctx context.Context, tenantID, affiliateID string, codes []string) ([]string, error) {
	clean, err := cleanCoupons(codes)
	if err != nil {
		return nil, err
	}
	return s.Store.SetAffiliateCoupons(ctx, tenantID, affiliateID, clean)
}

// cleanCoupons folds promotion codes, drops blanks and repeats, and checks
// their shape: 1 to 100 characters of letters, digits, '-' and '_' (what
// Stripe lets a merchant type).
func cleanCoupons(codes []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, c := range codes {
		c = tracklane.FoldCode(c)
		if c == "" || seen[c] {
			continue
		}
		if !validCoupon(c) {
			return nil, apperr.Errorf(apperr.Invalid, "promotion code %q must be 1 to 100 letters, digits, - or _", capRunes(c, 40))
		}
		seen[c] = true
		out = append(out, c)
	}
	if len(out) > 50 {
		return nil, apperr.Errorf(apperr.Invalid, "at most 50 promotion codes per affiliate")
	}
	return out, nil
}

func validCoupon(c string) bool {
	if len(c) > 100 {
		return false
	}
	for _, r := range c {
		if !(r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')) {
			return false
		}
	}
	return true
}
