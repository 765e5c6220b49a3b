package account

import (
	"strings"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// applyPortalSettings checks and applies the portal's part of a settings
// change: the program's slug and how applications are approved.
func applyPortalSettings(t *tracklane.Tenant, in SettingsInput) error {
	if in.Slug != nil {
		slug := strings.ToLower(strings.TrimSpace(*in.Slug))
		if !tracklane.ValidSlug(slug) {
			return apperr.Errorf(apperr.Invalid, "slug must be 2 to 40 characters of a-z, 0-9 and -")
		}
		t.Slug = slug
	}
	if in.AffiliateApproval != nil {
		switch a := tracklane.Approval(strings.ToLower(strings.TrimSpace(*in.AffiliateApproval))); a {
		case tracklane.ApprovalAuto, tracklane.ApprovalManual:
			t.AffiliateApproval = a
		default:
			return apperr.Errorf(apperr.Invalid, "affiliate approval must be auto or manual")
		}
	}
	return nil
}
