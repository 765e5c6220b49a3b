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

// WebhookHandler receives Stripe's webhooks: POST /stripe/webhook (live)
// and POST /stripe/webhook/test (test mode). Each URL takes events of
// connected accounts (a Connect endpoint) and of the platform's own
// account (an account endpoint) alike.
type WebhookHandler struct {
	engine      *Engine
	liveSecrets []string
	testSecrets []string
	log         *slog.Logger
}

// NewWebhookHandler returns the handler. Each mode takes a list of signing
// secrets — one per Stripe endpoint sending to its URL (an account
// endpoint and a Connect endpoint), or an old and a new one while a secret
// is rolled — and a signature that matches any of them is accepted. No
// secret makes the endpoint answer 503 (never accept unsigned events).
func NewWebhookHandler(e *Engine, liveSecrets, testSecrets []string, log *slog.Logger) *WebhookHandler {
	return &WebhookHandler{engine: e, liveSecrets: liveSecrets, testSecrets: testSecrets, log: log}
}

// Register mounts the webhook routes.
func (h *WebhookHandler) Register(r gin.IRouter) {
	r.POST("/stripe/webhook", func(c *gin.Context) { h.handle(c, true) })
	r.POST("/stripe/webhook/test", func(c *gin.Context) { h.handle(c, false) })
}

func (h *WebhookHandler) handle(c *gin.Context, live bool) {
	secrets := h.testSecrets
	if live {
		secrets = h.liveSecrets
	}
	if len(secrets) == 0 {
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
	if err := verifyAny(body, header, secrets); err != nil {
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
	case WebhookStaleUninstall:
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "uninstall created before the latest connect"})
	default:
		c.JSON(http.StatusOK, gin.H{"received": true})
	}
}

// verifyAny checks the signature against each secret in turn; nil as soon
// as one matches, else the last secret's refusal (all share the same
// header, so a bad timestamp is refused alike by every one).
func verifyAny(body []byte, header string, secrets []string) error {
	var err error
	for _, secret := range secrets {
		if err = webhook.ValidatePayloadWithTolerance(body, header, secret, webhook.DefaultTolerance); err == nil {
			return nil
		}
	}
	return err
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
