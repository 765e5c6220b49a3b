package stripesync

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
)

// WebhookHandler receives Stripe's webhooks for connected accounts:
// POST /stripe/webhook (live) and POST /stripe/webhook/test (test mode).
type WebhookHandler struct {
	engine     *Engine
	liveSecret string
	testSecret string
	log        *slog.Logger
}

// NewWebhookHandler returns the handler; an empty secret makes its
// endpoint answer 503 (never accept unsigned events).
func NewWebhookHandler(e *Engine, liveSecret, testSecret string, log *slog.Logger) *WebhookHandler {
	return &WebhookHandler{engine: e, liveSecret: liveSecret, testSecret: testSecret, log: log}
}

// Register mounts the webhook routes.
func (h *WebhookHandler) Register(r gin.IRouter) {
	r.POST("/stripe/webhook", func(c *gin.Context) { h.handle(c, true) })
	r.POST("/stripe/webhook/test", func(c *gin.Context) { h.handle(c, false) })
}

func (h *WebhookHandler) handle(c *gin.Context, live bool) {
	secret := h.testSecret
	if live {
		secret = h.liveSecret
	}
	if secret == "" {
		h.engine.observer.WebhookDone(live, "unconfigured")
		respond.Errorf(c, apperr.Unavailable, "webhooks are not configured on this server (the signing secret is unset)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20))
	if err != nil {
		h.engine.observer.WebhookDone(live, "bad_request")
		respond.Errorf(c, apperr.Invalid, "could not read the body (at most 1 MiB)")
		return
	}
	// The API-version check is skipped on purpose: events come in the
	// connected account's version, and the interpreter reads any.
	header := c.GetHeader("Stripe-Signature")
	if err := webhook.ValidatePayloadWithTolerance(body, header, secret, webhook.DefaultTolerance); err != nil {
		h.engine.observer.WebhookDone(live, "bad_request")
		respond.Errorf(c, apperr.Invalid, "bad Stripe-Signature: %v", err)
		return
	}
	if fromTheFuture(header, time.Now()) {
		respond.Errorf(c, apperr.Invalid, "bad Stripe-Signature: its timestamp is more than %s ahead of this server's clock", webhook.DefaultTolerance)
		return
	}
	ev, ok := decodeEvent(body)
	if !ok {
		h.engine.observer.WebhookDone(live, "bad_request")
		respond.Errorf(c, apperr.Invalid, "the body is not a Stripe event")
		return
	}
	if ev.Livemode != live {
		// A test event at the live endpoint (or the reverse) is ignored
		// there: it must never count as live money.
		h.engine.observer.WebhookDone(live, "mode_mismatch")
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "mode does not match this endpoint"})
		return
	}
	outcome, err := h.engine.ApplyWebhookEvent(c.Request.Context(), ev)
	if err != nil {
		h.engine.observer.WebhookDone(live, "retry_later")
		h.retryLater(c, ev, err)
		return
	}
	h.engine.observer.WebhookDone(live, outcome.String())
	switch outcome {
	case WebhookNotConnected:
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "account not connected"})
	case WebhookTypeNotUsed:
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "event type not used"})
	case WebhookDeferred:
		c.JSON(http.StatusOK, gin.H{"received": true, "deferred": "applied by the next check, with the events around it"})
	default:
		c.JSON(http.StatusOK, gin.H{"received": true})
	}
}

// fromTheFuture reports whether the signature's timestamp (its last t=, the
// one the webhook package checked) lies more than the tolerance ahead of
// now. The library refuses only old timestamps, so a header signed for a
// time years ahead would otherwise stay valid until then; the Stripe App
// endpoints hold signatures to the tolerance both ways too.
func fromTheFuture(header string, now time.Time) bool {
	var ts int64
	for _, pair := range strings.Split(header, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok && k == "t" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return true
			}
			ts = n
		}
	}
	return ts > now.Add(webhook.DefaultTolerance).Unix()
}

// retryLater answers 503 for an event that could not be applied now (the
// database or Stripe is unreachable): Stripe redelivers non-2xx answers,
// and the event applies once when it does.
func (h *WebhookHandler) retryLater(c *gin.Context, ev Event, err error) {
	h.log.WarnContext(c.Request.Context(), "webhook event not applied; Stripe will retry",
		"event", ev.ID, "type", ev.Type, "api_version", ev.APIVersion, "err", err)
	respond.Errorf(c, apperr.Unavailable, "could not apply the event now; retry later")
}
