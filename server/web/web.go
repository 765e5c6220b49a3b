// Package web assembles the HTTP server: the gin engine, middleware shared
// by every route (panic recovery, security headers, trusted proxies), the
// health check, and the routes of each feature package.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
)

// Routes is a feature package's handler: it mounts its own routes.
type Routes interface {
	Register(r gin.IRouter)
}

// Pinger checks the database for /healthz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configures the engine.
type Options struct {
	TrustedProxies []string // CIDRs whose X-Forwarded-For is believed
	Secure         bool     // PUBLIC_URL is https: send HSTS
	Log            *slog.Logger
	DB             Pinger
	Errors         ErrorObserver // nil: error answers are not counted
}

// ErrorObserver counts error answers (status >= 400) for metrics, by the
// area of the server that gave them.
type ErrorObserver interface {
	HTTPError(area string, status int)
}

// NotFoundPages is a feature that answers unknown addresses of its own
// pages with a page (a person typed or followed a wrong link), not the
// JSON error of an unknown endpoint. NotFoundPage reports whether it
// answered.
type NotFoundPages interface {
	NotFoundPage(c *gin.Context) bool
}

// New builds the engine with every feature's routes.
func New(opts Options, features ...Routes) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.ContextWithFallback = true // c.Request.Context() flows through c
	e.HandleMethodNotAllowed = false
	e.RemoveExtraSlash = true
	if err := e.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	e.ForwardedByClientIP = len(opts.TrustedProxies) > 0
	e.Use(recovery(opts.Log), securityHeaders(opts.Secure))
	if opts.Errors != nil {
		e.Use(countErrors(opts.Errors))
	}
	e.GET("/healthz", health(opts.DB))
	for _, f := range features {
		f.Register(e)
	}
	e.NoRoute(func(c *gin.Context) {
		for _, f := range features {
			if p, ok := f.(NotFoundPages); ok && p.NotFoundPage(c) {
				return
			}
		}
		respond.Errorf(c, apperr.NotFound, "no such endpoint: %s %s", c.Request.Method, c.Request.URL.Path)
	})
	return e, nil
}

// recovery turns a panic into a logged 500 with the standard error body,
// instead of gin's default stack dump.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic serving request", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
				if !c.Writer.Written() {
					respond.Errorf(c, apperr.Internal, "internal error")
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// denyAllCSP is the policy of every answer that is not a page (JSON,
// errors, /healthz): opened as a document, such a body can load and run
// nothing and be framed by no one.
const denyAllCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// redirectCSP is the same for the affiliate links (/r/<code>), which may
// be opened inside a frame (so no frame-ancestors, as no X-Frame-Options).
const redirectCSP = "default-src 'none'; base-uri 'none'; form-action 'none'"

// countErrors reports every answer with status >= 400 after the handler
// ran. A successful answer costs one comparison.
func countErrors(o ErrorObserver) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if s := c.Writer.Status(); s >= 400 {
			o.HTTPError(area(c.Request.URL.Path), s)
		}
	}
}

// area names the part of the server a path belongs to (a fixed word,
// never part of the path itself).
func area(path string) string {
	switch {
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case strings.HasPrefix(path, "/tracking"), strings.HasPrefix(path, "/r/"):
		return "tracking"
	case strings.HasPrefix(path, "/stripe-app/"):
		return "stripe_app"
	case strings.HasPrefix(path, "/stripe/webhook"):
		return "stripe_webhook"
	case path == "/healthz":
		return "health"
	case strings.HasPrefix(path, "/static/"):
		return "other"
	}
	return "dashboard"
}

// securityHeaders sets the headers every answer carries, a deny-all CSP
// included; dashboard pages (and the /r/ error page) replace it with their
// own.
func securityHeaders(secure bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if strings.HasPrefix(c.Request.URL.Path, "/r/") {
			h.Set("Content-Security-Policy", redirectCSP)
		} else {
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", denyAllCSP)
		}
		c.Next()
	}
}

// health answers 200 {"status":"ok"} when the database answers, 503 with
// the problem otherwise.
func health(db Pinger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		start := time.Now()
		if err := db.Ping(c.Request.Context()); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable",
				"error": gin.H{"message": "database unreachable"}})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok", "db_ms": time.Since(start).Milliseconds()})
	}
}
