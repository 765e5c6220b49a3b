// Package api is Tracklane's REST API for reading data back with a personal
// token: clicks, affiliates and conversions, newest first with keyset
// pagination, every query scoped to the token's tenant. The JSON objects it
// writes are built in package apishape, which the CLI and the dashboard
// share.
package api

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/server/urlcheck"
)

// Store is what the API reads.
type Store interface {
	Clicks(ctx context.Context, tenantID string, f store.ClickFilter, p store.Page) ([]tracklane.Click, error)
	Affiliate(ctx context.Context, tenantID, id string) (tracklane.Affiliate, error)
	Affiliates(ctx context.Context, tenantID string, p store.Page) ([]tracklane.Affiliate, error)
	AffiliateCoupons(ctx context.Context, tenantID string, affiliateIDs []string) (map[string][]string, error)
	Conversions(ctx context.Context, tenantID string, f store.ConversionFilter, p store.Page) ([]tracklane.Conversion, error)
	// Payouts (payouts.go).
	Tenant(ctx context.Context, id string) (tracklane.Tenant, error)
	Payouts(ctx context.Context, tenantID string, f store.PayoutFilter, p store.Page) ([]tracklane.Payout, error)
	Payout(ctx context.Context, tenantID, id string) (tracklane.Payout, error)
	EachPayout(ctx context.Context, tenantID string, status tracklane.PayoutStatus, fn func(tracklane.Payout) error) error
	AffiliatesByStatus(ctx context.Context, tenantID string, status tracklane.AffiliateStatus, p store.Page) ([]tracklane.Affiliate, error)
}

// Accounts is the account service (account.Service): the one token check
// and every write, shared with the dashboard, the CLI and the Stripe App.
type Accounts interface {
	Authenticate(ctx context.Context, token string) (tenantID string, err error)
	CreateAffiliate(ctx context.Context, tenantID string, in account.AffiliateInput) (tracklane.Affiliate, error)
	ConversionTypeAccounts
	// Payouts (payouts.go).
	CreatePayouts(ctx context.Context, tenantID, affiliateID string) ([]tracklane.Payout, error)
	MarkPayoutPaid(ctx context.Context, tenantID, id, reference string) (tracklane.Payout, error)
	CancelPayout(ctx context.Context, tenantID, id string) (tracklane.Payout, error)
	SetAffiliateStatus(ctx context.Context, tenantID, id string, action account.StatusAction) (tracklane.Affiliate, error)
}

// Handler serves /api/v1.
type Handler struct {
	store     Store
	accounts  Accounts
	publicURL string
	log       *slog.Logger
}

// New returns the API handler.
func New(st Store, accounts Accounts, publicURL string, log *slog.Logger) *Handler {
	return &Handler{store: st, accounts: accounts, publicURL: publicURL, log: log}
}

// Register mounts the API routes.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group("/api/v1", h.checkURL, h.authenticate)
	g.GET("/clicks", h.handleClickList)
	g.GET("/affiliates", h.handleAffiliateList)
	g.POST("/affiliates", h.handleAffiliateCreate)
	for _, a := range []account.StatusAction{account.Approve, account.Reject, account.Suspend, account.Activate} {
		g.POST("/affiliates/:id/"+string(a), h.handleAffiliateStatus(a))
	}
	g.GET("/conversions", h.handleConversionList)
	g.GET("/conversion-types", h.handleConversionTypeList)
	g.PUT("/conversion-types/:code", h.handleConversionTypeSave)
	g.DELETE("/conversion-types/:code", h.handleConversionTypeDelete)
	g.POST("/payouts", h.handlePayoutCreate)
	g.GET("/payouts", h.handlePayoutList)
	g.GET("/payouts/paypal.csv", h.handlePayoutPayPal) // before :id
	g.GET("/payouts/:id", h.handlePayoutGet)
	g.POST("/payouts/:id/paid", h.handlePayoutPaid)
	g.POST("/payouts/:id/cancel", h.handlePayoutCancel)
}

const tenantKey = "tenant_id"

// checkURL refuses, before anything reads it, an address whose path or
// query is not text (urlcheck): such a value would reach SQL as a 500.
func (h *Handler) checkURL(c *gin.Context) {
	if err := urlcheck.Check(c.Request.URL); err != nil {
		respond.Error(c, h.log, err)
	}
}

// authenticate resolves the personal token (Authorization: Bearer, or
// X-Api-Key) to its tenant, or answers 401.
func (h *Handler) authenticate(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	token := strings.TrimSpace(c.GetHeader("X-Api-Key"))
	if auth := c.GetHeader("Authorization"); auth != "" {
		scheme, rest, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			respond.Errorf(c, apperr.Unauthorized, "use Authorization: Bearer <personal token>")
			return
		}
		token = strings.TrimSpace(rest)
	}
	if token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="tracklane"`)
		respond.Errorf(c, apperr.Unauthorized, "a personal token is required (Authorization: Bearer <token>)")
		return
	}
	tenantID, err := h.accounts.Authenticate(c.Request.Context(), token)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.Set(tenantKey, tenantID)
}

func tenantOf(c *gin.Context) string { return c.GetString(tenantKey) }

// page reads limit (default 50, 1..200) and cursor from the query.
func page(c *gin.Context) (store.Page, error) {
	p := store.Page{Limit: 50}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return p, apperr.Errorf(apperr.Invalid, "limit must be a whole number from 1 to 200")
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		t, id, err := keyset.Decode(v)
		if err != nil {
			return p, apperr.Errorf(apperr.Invalid, "cursor is not one this API returned")
		}
		p.After = &store.Cursor{Time: t, ID: id}
	}
	return p, nil
}

// list is the JSON envelope of every list.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// newList wraps rows; a full page gets a cursor to the next.
func newList[T any](rows []T, limit int, key func(T) (time.Time, string)) list[T] {
	l := list[T]{Data: rows}
	if l.Data == nil {
		l.Data = []T{}
	}
	if len(rows) == limit && limit > 0 {
		t, id := key(rows[len(rows)-1])
		cur := keyset.Encode(t, id)
		l.NextCursor = &cur
	}
	return l
}

// filterAffiliate checks an affiliate_id filter: another tenant's → 404.
func (h *Handler) filterAffiliate(c *gin.Context) (string, error) {
	id := c.Query("affiliate_id")
	if id == "" {
		return "", nil
	}
	if _, err := h.store.Affiliate(c.Request.Context(), tenantOf(c), id); err != nil {
		return "", err
	}
	return id, nil
}
