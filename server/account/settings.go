package account

import (
	"context"
	"regexp"
	"strings"
	"time"
	// The tz database travels in the binary: a timezone is checked (and
	// days are bucketed) alike on a machine without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

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
	// PayoutMinimum is in minor units, applied per affiliate and currency.
	PayoutMinimum *int64
	// Slug is the program's portal address (/p/<slug>).
	Slug *string
	// AffiliateApproval is "auto" or "manual".
	AffiliateApproval *string
}

// UpdateSettings applies a partial settings change to a tenant, whichever
// door it comes through (dashboard, CLI). When the change names a timezone,
// the daily rollups are re-bucketed in it before this returns (seconds at
// millions of rows, only when it differs from the rollups' timezone), so
// every page read afterwards shows days in the new timezone. A failed
// rebuild is an error; saving again retries it.
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
	if in.PayoutMinimum != nil {
		if *in.PayoutMinimum < 0 || *in.PayoutMinimum > 1_000_000_000_00 {
			return tracklane.Tenant{}, apperr.Errorf(apperr.Invalid, "payout minimum must be a whole amount in minor units from 0 to 100000000000")
		}
		t.PayoutMinimum = *in.PayoutMinimum
	}
	if err := applyPortalSettings(&t, in); err != nil {
		return tracklane.Tenant{}, err
	}
	saved, err := s.Store.UpdateTenantSettings(ctx, t)
	if err != nil {
		return tracklane.Tenant{}, err
	}
	if in.Timezone != nil {
		if err := s.Store.EnsureRollups(ctx, saved); err != nil {
			return tracklane.Tenant{}, err
		}
	}
	return saved, nil
}

var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
