// Package stripeapp serves the backend of Tracklane's Stripe App (SPEC §3):
// the settings page inside the Stripe Dashboard connects a Stripe account,
// in live or test mode, to a tenant, shows the connection's status, runs a
// check on demand and disconnects. Every request is a CORS POST whose
// Stripe-Signature must sign the body's user_id and account_id with
// STRIPE_APP_SECRET; nothing is read or changed before that holds.
package stripeapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Checker runs a check of one connection now; a check already running is
// waited for and its result returned. Errors carry apperr codes: BadGateway
// when Stripe refused (answered 502), Unavailable when the mode has no
// platform key (503).
type Checker interface {
	CheckNow(ctx context.Context, conn tracklane.StripeConnection) (tracklane.CheckResult, error)
}

// Authenticator resolves a personal token to its tenant
// (account.Service, shared with the API); unauthorized when the token is
// malformed, unknown or revoked.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (tenantID string, err error)
}

// Store is the storage the Stripe App endpoints use (*store.Store).
type Store interface {
	Connect(ctx context.Context, tenantID, accountID string, livemode bool, userID, tokenHint string) (tracklane.StripeConnection, error)
	Connection(ctx context.Context, accountID string, livemode bool) (tracklane.StripeConnection, error)
	Disconnect(ctx context.Context, tenantID, accountID string, livemode bool) error
	ParkedEventCount(ctx context.Context, connectionID int64) (int, error)
}

// MaxBody caps a request body; the UI sends well under 1 KB.
const MaxBody = 64 << 10

// Handler serves /stripe-app/.
type Handler struct {
	store   Store
	tokens  Authenticator
	checker Checker // nil: Stripe checks are not wired; Check Now answers 503
	secret  string  // STRIPE_APP_SECRET; empty: every endpoint answers 503
	log     *slog.Logger
	now     func() time.Time
}

// New returns the Stripe App handler. tokens checks the personal token
// that connects an account; secret is STRIPE_APP_SECRET (empty → every
// endpoint answers 503); now is the clock signatures are held to.
func New(st Store, tokens Authenticator, checker Checker, secret string, log *slog.Logger, now func() time.Time) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Handler{store: st, tokens: tokens, checker: checker, secret: secret, log: log, now: now}
}

// Register mounts POST and OPTIONS (CORS preflight) for each endpoint.
func (h *Handler) Register(r gin.IRouter) {
	g := r.Group("/stripe-app", cors)
	for path, handle := range map[string]func(*gin.Context, request){
		"/settings":   h.handleSettings,
		"/status":     h.handleStatus,
		"/check-now":  h.handleCheckNow,
		"/disconnect": h.handleDisconnect,
	} {
		g.OPTIONS(path, handlePreflight)
		g.POST(path, h.verified(handle))
	}
}

// cors opens every answer, errors included, to any origin: the UI runs in
// a sandboxed iframe whose origin is "null". Requests carry no cookies;
// the signature is the only credential.
func cors(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "no-store")
}

// handlePreflight answers the browser's preflight (the UI sends JSON and a
// Stripe-Signature header). It checks nothing, and answers even when the
// secret is unset, so the UI can read the 503 that follows.
func handlePreflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Methods", "POST, OPTIONS")
	c.Header("Access-Control-Allow-Headers", "Content-Type, Stripe-Signature")
	c.AbortWithStatus(http.StatusNoContent)
}

// request is a verified request: who sent it, which mode of their account
// it is about, and its body for the endpoint's own fields.
type request struct {
	Identity
	Livemode bool
	body     []byte
}

// mode names the request's mode as the UI does.
func (r request) mode() string {
	if r.Livemode {
		return "live"
	}
	return "test"
}

// decode reads the endpoint's own fields from the body (already known to be
// a JSON object). A field of the wrong type → invalid.
func (r request) decode(v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Errorf(apperr.Invalid, "field %q must be a string", te.Field)
		}
		return apperr.Errorf(apperr.Invalid, "request body is not a JSON object")
	}
	return nil
}

// verified wraps an endpoint: secret configured, body read (capped),
// signature verified, then mode read. Only then does the endpoint run.
// Order of refusals: 503 no secret; 413 too large; 400 body not a JSON
// object (no ids to verify); 401 ids missing or signature bad; 400 mode.
func (h *Handler) verified(next func(*gin.Context, request)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h.secret == "" {
			respond.Error(c, h.log, errNoSecret)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				respond.Errorf(c, apperr.TooLarge, "request body is larger than %d bytes", MaxBody)
				return
			}
			respond.Errorf(c, apperr.Invalid, "could not read the request body")
			return
		}
		id, err := Verify(body, c.GetHeader("Stripe-Signature"), h.secret, h.now())
		if err != nil {
			respond.Error(c, h.log, err)
			return
		}
		req := request{Identity: id, body: body}
		var m struct {
			Mode string `json:"mode"`
		}
		if err := req.decode(&m); err != nil {
			respond.Error(c, h.log, err)
			return
		}
		switch m.Mode {
		case "live":
			req.Livemode = true
		case "test":
		default:
			respond.Errorf(c, apperr.Invalid, `mode must be "live" or "test"`)
			return
		}
		next(c, req)
	}
}
