// Package portal serves the affiliate portal's doors at /p/<slug>: the
// public application form, log-in and log-out, forgotten passwords and the
// one-use links (password reset, invitation, an applicant's confirmation
// of their address), behind the portal's own
// sessions (package signin, configured in newSignin: table
// affiliate_sessions, cookie tl_portal scoped to the program's path), CSRF
// tokens and the dashboard's CSP.
//
// The signed-in pages (Home, Conversions, Payouts, Settings) come from a
// Pages implementation mounted on the signed-in group: every request
// there has a live session of an active affiliate of that program (read
// it with ViewerFrom), and every POST has passed CheckCSRF.
//
// An affiliate's session is no merchant session: its cookie has another
// name and path, and neither the dashboard nor the API reads it.
package portal

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Pages are the signed-in portal pages; Register mounts them on the group
// at /p/:slug ("" is Home, then "/conversions", "/payouts", "/settings").
type Pages interface {
	Register(g gin.IRouter)
}

// Viewer is who is looking at a signed-in portal page.
type Viewer struct {
	Tenant    tracklane.Tenant
	Affiliate tracklane.Affiliate
	CSRF      string // the session's form token: put it in every form as "csrf"
	// Session is the hash of the session's id: a password changed in it
	// ends every other session of the affiliate, not this one.
	Session []byte
}

const viewerKey = "portal.viewer"

// ViewerFrom returns the signed-in viewer of a request on the signed-in
// group; false outside it.
func ViewerFrom(c *gin.Context) (Viewer, bool) {
	v, ok := c.Get(viewerKey)
	if !ok {
		return Viewer{}, false
	}
	vw, ok := v.(Viewer)
	return vw, ok
}

// Accounts is the account service (account.Service) for the portal's
// actions.
type Accounts interface {
	Apply(ctx context.Context, t tracklane.Tenant, in account.Application) error
	AffiliateLogin(ctx context.Context, tenantID, email, pw string) (tracklane.Affiliate, error)
	RequestAffiliateReset(ctx context.Context, t tracklane.Tenant, email string) error
	CheckLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose) (tracklane.OneUseToken, error)
	UseLink(ctx context.Context, secret string, purpose tracklane.TokenPurpose, newPassword string) (tracklane.OneUseToken, error)
	ConfirmEmail(ctx context.Context, t tracklane.Tenant, secret string) (tracklane.Affiliate, error)
}

// Store is what the portal reads itself.
type Store interface {
	TenantBySlug(ctx context.Context, slug string) (tracklane.Tenant, error)
	Affiliate(ctx context.Context, tenantID, id string) (tracklane.Affiliate, error)
	PortalSessionByHash(ctx context.Context, tenantID string, idHash []byte, now time.Time) (store.PortalSession, error)
	signin.Store // the sessions' life (package signin)
	RecordPortalVisitor(ctx context.Context, tenantID, affiliateID string, visitor []byte, now time.Time) error
}

// Deps is what the portal needs, passed explicitly.
type Deps struct {
	Store    Store
	Accounts Accounts
	Config   config.Config
	// Throttle limits log-ins, applications and reset requests (shared
	// with the dashboard's forms); nil → no portal without one: New
	// panics, as wiring is a programming matter.
	Throttle *throttle.Throttle
	// Pages are the signed-in pages; nil serves a placeholder Home.
	Pages Pages
	// VisitorHash is the tracker's keyed visitor hash
	// (tracking.Handler.VisitorHash): the browser of a signed-in affiliate
	// is noted with it (store.RecordPortalVisitor), so that an email link
	// made from that browser to the affiliate's own click is flagged
	// affiliate_own_browser. nil notes nothing.
	VisitorHash func(ip, userAgent string, now time.Time) []byte
	// AssetQuery is the dashboard's cache-busting query for static files
	// ("?v=…"); "" is fine.
	AssetQuery string
	Log        *slog.Logger
	Now        func() time.Time
}

// Handler serves the portal.
type Handler struct {
	deps     Deps
	store    Store
	log      *slog.Logger
	now      func() time.Time
	csrfKey  []byte
	preLogin pagekit.PreLogin
	signin   *signin.Kind[store.PortalSession]
	// checkAnonCSRF refuses a signed-out form's POST without the token of
	// the browser's pre-login cookie; checkSessionCSRF is CheckCSRF's.
	checkAnonCSRF, checkSessionCSRF gin.HandlerFunc
}

// New returns the portal handler.
func New(deps Deps) *Handler {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Throttle == nil {
		panic("portal.New: no Throttle")
	}
	h := &Handler{deps: deps, store: deps.Store, log: deps.Log, now: deps.Now, csrfKey: deps.Config.Key("portal-csrf")}
	h.signin = h.newSignin()
	h.preLogin = pagekit.PreLogin{Key: h.csrfKey, Cookie: preCookie, SetCookie: h.signin.SetCookie}
	h.checkAnonCSRF = h.preLogin.Require(h.csrfRefused)
	h.checkSessionCSRF = pagekit.RequireToken(sessionToken, h.csrfRefused)
	return h
}

// Register mounts the portal under /p/:slug.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group("/p/:slug", pagekit.Headers, pagekit.CheckURL(h.fail), h.loadTenant)
	g.GET("/join", h.handleJoinForm)
	g.POST("/join", h.checkAnonCSRF, h.handleJoin)
	g.GET("/login", h.handleLoginForm)
	g.POST("/login", h.checkAnonCSRF, h.handleLogin)
	g.GET("/forgot", h.handleForgotForm)
	g.POST("/forgot", h.checkAnonCSRF, h.handleForgot)
	g.GET("/reset/:token", h.handleLinkForm(tracklane.PurposeAffiliateReset))
	g.POST("/reset/:token", h.checkAnonCSRF, h.handleLinkUse(tracklane.PurposeAffiliateReset))
	g.GET("/invite/:token", h.handleLinkForm(tracklane.PurposeInvite))
	g.POST("/invite/:token", h.checkAnonCSRF, h.handleLinkUse(tracklane.PurposeInvite))
	g.GET("/confirm/:token", h.handleLinkForm(tracklane.PurposeConfirmEmail))
	g.POST("/confirm/:token", h.checkAnonCSRF, h.handleConfirm)

	in := g.Group("", h.requireSession(), h.CheckCSRF)
	in.POST("/logout", h.handleLogout)
	if h.deps.Pages != nil {
		h.deps.Pages.Register(in)
	} else {
		in.GET("", h.handlePlaceholderHome)
	}
}

// tenantKey holds the program of the request (loadTenant).
const tenantKey = "portal.tenant"

func tenantOf(c *gin.Context) tracklane.Tenant {
	t, _ := c.Get(tenantKey)
	tt, _ := t.(tracklane.Tenant)
	return tt
}
