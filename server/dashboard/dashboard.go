// Package dashboard serves the merchant dashboard: server-rendered templ
// pages (package views) behind email + password sessions with CSRF tokens.
//
// Log-in, sessions and their cookie are package signin's, configured here
// (newSignin); they and the login throttle live in PostgreSQL, so any
// number of server processes share them. Every page reads through the logged-in
// tenant's id, so an object id of another tenant is simply not found.
package dashboard

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/conversions"
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/static"
)

// Checker runs a Stripe check of one connection now (the "Check Now"
// button); it waits for a check already running and returns its result.
type Checker interface {
	CheckNow(ctx context.Context, conn tracklane.StripeConnection) (tracklane.CheckResult, error)
}

// Accounts is the account service (account.Service): every change to a
// tenant's settings, affiliates, tokens and revenue origins goes through it,
// as it does from the CLI and the API.
type Accounts interface {
	CreateTenant(ctx context.Context, in account.NewTenantInput) (account.NewTenantResult, error)
	// MerchantLogin checks a user's email and password (the log-in form).
	MerchantLogin(ctx context.Context, email, pw string) (tracklane.User, error)
	UpdateSettings(ctx context.Context, tenantID string, in account.SettingsInput) (tracklane.Tenant, error)
	// Payouts (payout_actions.go).
	CreatePayouts(ctx context.Context, tenantID, affiliateID string) ([]tracklane.Payout, error)
	MarkPayoutPaid(ctx context.Context, tenantID, id, reference string) (tracklane.Payout, error)
	CancelPayout(ctx context.Context, tenantID, id string) (tracklane.Payout, error)
	CreateAffiliate(ctx context.Context, tenantID string, in account.AffiliateInput) (tracklane.Affiliate, error)
	SetCoupons(ctx context.Context, tenantID, affiliateID string, codes []string) ([]string, error)
	UpdateAffiliate(ctx context.Context, tenantID, id string, in account.AffiliateInput) (tracklane.Affiliate, error)
	CreateToken(ctx context.Context, tenantID, name string) (string, error)
	RevokeToken(ctx context.Context, tenantID string, id int64) error
	CreateRevenueOrigin(ctx context.Context, tenantID, name string) (tracklane.RevenueOrigin, error)
	ConversionTypeAccounts
	ProgramAccounts
}

// Conversions is the conversion service (conversions.Service): the
// merchant's approvals and rejections go through it.
type Conversions interface {
	Decide(ctx context.Context, tenantID, conversionID string, d conversions.Decision) (tracklane.Conversion, error)
}

// Deps is what the dashboard needs, passed explicitly.
type Deps struct {
	Store    *store.Store
	Accounts Accounts
	Config   config.Config
	Checker  Checker
	// Throttle limits log-ins and sign-ups (shared with every other form
	// an attacker would repeat); nil → one on Store, keyed from Config.
	Throttle *throttle.Throttle
	Log      *slog.Logger
	Now      func() time.Time
	// MailConfigured says mail is really sent (SMTP_URL): when false, an
	// invitation's link is shown to copy.
	MailConfigured bool
	// Conversions takes the merchant's decisions on conversions; nil →
	// the conversion service on Store.
	Conversions Conversions
}

// Handler serves the dashboard pages.
type Handler struct {
	deps       Deps
	store      *store.Store
	log        *slog.Logger
	now        func() time.Time
	csrfKey    []byte
	flashKey   []byte // seals the flash cookie (flash.go)
	throttle   *throttle.Throttle
	assetQuery string // "?v=<hash of the static files>" for cache busting
	preLogin   pagekit.PreLogin
	signin     *signin.Kind[store.Session]
	// recheck throttles the forms that ask for the password again (the
	// affiliate's payout email), as log-ins are.
	recheck signin.Recheck
	// checkAnonCSRF refuses a log-in, sign-up or reset POST without the
	// token of the browser's pre-login cookie; checkSessionCSRF a signed-in
	// POST without the session's token.
	checkAnonCSRF, checkSessionCSRF gin.HandlerFunc
}

// New returns the dashboard handler.
func New(deps Deps) *Handler {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Throttle == nil {
		deps.Throttle = throttle.New(deps.Store, deps.Config.Key("throttle"), deps.Now)
	}
	if deps.Conversions == nil {
		deps.Conversions = conversions.Service{Store: deps.Store, Log: deps.Log, Now: deps.Now}
	}
	h := &Handler{
		deps: deps, store: deps.Store, log: deps.Log, now: deps.Now,
		csrfKey:    deps.Config.Key("csrf"),
		flashKey:   deps.Config.Key("flash"),
		throttle:   deps.Throttle,
		assetQuery: pagekit.AssetQuery(static.FS),
	}
	h.signin = h.newSignin()
	h.recheck = signin.Recheck{Throttle: h.throttle, Key: "password", Log: h.log}
	h.preLogin = pagekit.PreLogin{Key: h.csrfKey, Cookie: preCookie, SetCookie: h.signin.SetCookie}
	h.checkAnonCSRF = h.preLogin.Require(h.csrfRefused)
	h.checkSessionCSRF = pagekit.RequireToken(h.sessionToken, h.csrfRefused)
	return h
}

// Register mounts the dashboard routes.
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/static/*filepath", h.handleStatic)
	r.HEAD("/static/*filepath", h.handleStatic)

	pages := r.Group("", pagekit.Headers, pagekit.CheckURL(h.refuseURL))
	pages.GET("/signup", h.handleSignupForm)
	pages.POST("/signup", h.checkAnonCSRF, h.handleSignup)
	pages.GET("/login", h.handleLoginForm)
	pages.POST("/login", h.checkAnonCSRF, h.handleLogin)
	pages.GET("/forgot", h.handleForgotForm)
	pages.POST("/forgot", h.checkAnonCSRF, h.handleForgot)
	pages.GET("/reset/:token", h.handleResetForm)
	pages.POST("/reset/:token", h.checkAnonCSRF, h.handleReset)

	in := pages.Group("", h.requireSession(), h.checkSessionCSRF)
	in.POST("/logout", h.handleLogout)
	in.GET("/", h.handleOverview)
	in.GET("/clicks", h.handleClickList)
	in.GET("/clicks.csv", h.handleClickCSV)
	in.GET("/conversions", h.handleConversionList)
	in.GET("/conversions.csv", h.handleConversionCSV)
	in.GET("/conversions/:id", h.handleConversionDetail)
	in.POST("/conversions/:id/approve", h.handleConversionDecide(conversions.Approve))
	in.POST("/conversions/:id/reject", h.handleConversionDecide(conversions.Reject))
	in.GET("/payouts", h.handlePayouts)
	in.GET("/payouts/paypal.csv", h.handlePayoutPayPal)
	in.GET("/payouts/affiliates/:id", h.handlePayoutStatement)
	in.POST("/payouts/create", h.handlePayoutCreate)
	in.POST("/payouts/minimum", h.handlePayoutMinimum)
	in.POST("/payouts/:id/paid", h.handlePayoutPaid)
	in.POST("/payouts/:id/cancel", h.handlePayoutCancel)
	in.GET("/affiliates", h.handleAffiliateList)
	in.GET("/affiliates/new", h.handleAffiliateNew)
	in.POST("/affiliates/new", h.handleAffiliateCreate)
	in.GET("/affiliates/:id", h.handleAffiliateEdit)
	in.POST("/affiliates/:id", h.handleAffiliateUpdate)
	in.POST("/affiliates/:id/coupons", h.handleAffiliateCoupons)
	in.POST("/affiliates/:id/invite", h.handleAffiliateInvite)
	in.POST("/affiliates/:id/payout-email", h.handleAffiliatePayoutEmail)
	for _, a := range []account.StatusAction{account.Approve, account.Reject, account.Suspend, account.Activate} {
		in.POST("/affiliates/:id/"+string(a), h.handleAffiliateStatus(a))
	}
	in.GET("/settings", h.handleSettings)
	in.POST("/settings", h.handleSettingsSave)
	in.POST("/settings/program", h.handleProgramSave)
	in.POST("/settings/origins", h.handleOriginCreate)
	in.GET("/settings/conversion-types", h.handleConversionTypes)
	in.POST("/settings/conversion-types", h.handleConversionTypeSave)
	in.POST("/settings/conversion-types/:code/delete", h.handleConversionTypeDelete)
	in.POST("/settings/max-conversion-amount", h.handleMaxConversionAmount)
	in.POST("/settings/tokens", h.handleTokenCreate)
	in.POST("/settings/tokens/:id/revoke", h.handleTokenRevoke)
	in.POST("/settings/stripe-app-token", h.handleStripeTokenCreate)
	in.POST("/settings/stripe/:id/check", h.handleStripeCheck)
	in.GET("/integration", h.handleIntegration)
	in.GET("/integration/status.json", h.handleIntegrationStatus)
	in.GET("/integration/demo", h.handleIntegrationDemo)
	in.GET("/integration/demo/thanks", h.handleIntegrationDemo)
}
