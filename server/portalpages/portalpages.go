// Package portalpages serves the signed-in pages of the affiliate portal
// (SPEC section 8): Home, Conversions, Payouts and Settings, under
// /p/<slug>, each showing the logged-in affiliate's own data only.
//
// Authentication is the caller's: the router group these pages are
// registered on must already have checked the affiliate's session for the
// program in the URL and the CSRF token of every POST (package portal).
// Deps.Who then names the viewer; every read here is scoped by the
// viewer's tenant and affiliate, never by anything in the URL, so no link
// can show another affiliate's or tenant's rows.
package portalpages

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/static"
)

// Viewer is the logged-in affiliate of the program in the URL, and the
// session's CSRF token for the pages' forms.
type Viewer struct {
	Tenant    tracklane.Tenant
	Affiliate tracklane.Affiliate
	CSRF      string
	// Session is the hash of the viewer's session id: it outlives a
	// password change made in it, the affiliate's other sessions do not.
	Session []byte
}

// Store is what the pages read and write (store.Store).
type Store interface {
	AffiliateSummary(ctx context.Context, tenantID, affiliateID string, r tracklane.DayRange) (tracklane.AffiliateSummary, error)
	AffiliateConversions(ctx context.Context, tenantID, affiliateID string, p store.Page) ([]tracklane.PortalConversion, error)
	AffiliatePayouts(ctx context.Context, tenantID, affiliateID string, p store.Page) ([]tracklane.Payout, error)
	AffiliateCoupons(ctx context.Context, tenantID string, affiliateIDs []string) (map[string][]string, error)
}

// Deps is what the pages need, passed explicitly.
type Deps struct {
	Store Store
	// Who returns the logged-in affiliate of the program in the URL; false
	// when there is none (the caller's middleware should have stopped such
	// a request: the pages then answer 401 and show nothing).
	Who func(c *gin.Context) (Viewer, bool)
	// ChangePassword checks the affiliate's current password (wrong →
	// unauthorized) and sets the next one (the portal's account rules:
	// length, common passwords); the affiliate's sessions but keepSession
	// end (account.Service.ChangeAffiliatePassword). Errors with an apperr
	// code are shown on the form.
	ChangePassword func(ctx context.Context, tenantID, affiliateID, current, next string, keepSession []byte) error
	// SetPayoutEmail checks the affiliate's current password (wrong →
	// unauthorized) and sets where they are paid
	// (account.Service.SetOwnPayoutEmail, which holds the rules). Errors
	// with an apperr code are shown on the form.
	SetPayoutEmail func(ctx context.Context, tenantID, affiliateID, currentPassword, email string) (tracklane.Affiliate, error)
	// Recheck throttles both forms, which ask for the password again, as
	// log-ins are (SPEC section 14); its Throttle must be set.
	Recheck signin.Recheck
	Log     *slog.Logger
	Now     func() time.Time
	// AssetQuery is appended to static asset URLs ("?v=<hash>"); "" → a
	// hash of the embedded static files, as the dashboard does.
	AssetQuery string
	// PublicURL is the server's public address (no trailing slash): the
	// affiliate's link is PublicURL/r/<code>.
	PublicURL string
}

// Handler serves the portal pages.
type Handler struct {
	d Deps
}

// New returns the portal pages' handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.AssetQuery == "" {
		d.AssetQuery = pagekit.AssetQuery(static.FS)
	}
	return &Handler{d: d}
}

// Register mounts the pages on g, a /p/:slug group behind the portal's
// session and CSRF middleware.
func (h *Handler) Register(g gin.IRouter) {
	pages := g.Group("", pageHeaders, pagekit.CheckURL(refuseURL))
	pages.GET("", h.handleHome)
	pages.GET("/", h.handleHome)
	pages.GET("/conversions", h.handleConversionList)
	pages.GET("/payouts", h.handlePayoutList)
	pages.GET("/settings", h.handleSettings)
	pages.POST("/settings/payout-email", h.handlePayoutEmailSave)
	pages.POST("/settings/password", h.handlePasswordChange)
}

// viewer returns the logged-in affiliate, or answers 401 and aborts.
func (h *Handler) viewer(c *gin.Context) (Viewer, bool) {
	if h.d.Who != nil {
		if v, ok := h.d.Who(c); ok && v.Tenant.ID != "" && v.Affiliate.ID != "" && v.Affiliate.TenantID == v.Tenant.ID {
			return v, true
		}
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.String(http.StatusUnauthorized, "<!DOCTYPE html><title>Log in</title><p>Log in to the affiliate portal to see this page.</p>")
	c.Abort()
	return Viewer{}, false
}
