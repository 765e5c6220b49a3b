// Package dashboard serves the merchant dashboard: server-rendered templ
// pages (package views) behind email + password sessions with CSRF tokens.
package dashboard

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/store"
)

// Checker runs a Stripe check of one connection now (the "Check Now"
// button); it waits for a check already running and returns its result.
type Checker interface {
	CheckNow(ctx context.Context, conn store.StripeConnection) (store.CheckResult, error)
}

// Deps is what the dashboard needs, passed explicitly.
type Deps struct {
	Store    *store.Store
	Accounts account.Service
	Config   config.Config
	Checker  Checker
	Log      *slog.Logger
	Now      func() time.Time
}

// Handler serves the dashboard pages.
type Handler struct {
	deps Deps
}

// New returns the dashboard handler.
func New(deps Deps) *Handler { return &Handler{deps: deps} }

// Register mounts the dashboard routes (none yet).
func (h *Handler) Register(r gin.IRouter) {}
