package stripesync

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
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

// webhookEvent is the envelope of an event as delivered.
type webhookEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	Account  string `json:"account"`
	Data     struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

func (h *WebhookHandler) handle(c *gin.Context, live bool) {
	secret := h.testSecret
	if live {
		secret = h.liveSecret
	}
	if secret == "" {
		respond.Errorf(c, apperr.Unavailable, "webhooks are not configured on this server (the signing secret is unset)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20))
	if err != nil {
		respond.Errorf(c, apperr.Invalid, "could not read the body (at most 1 MiB)")
		return
	}
	// The API-version check is skipped on purpose: events come in the
	// connected account's version, and the interpreter reads any.
	if err := webhook.ValidatePayloadWithTolerance(body, c.GetHeader("Stripe-Signature"), secret, webhook.DefaultTolerance); err != nil {
		respond.Errorf(c, apperr.Invalid, "bad Stripe-Signature: %v", err)
		return
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" {
		respond.Errorf(c, apperr.Invalid, "the body is not a Stripe event")
		return
	}
	if ev.Livemode != live {
		// A test event at the live endpoint (or the reverse) is ignored
		// there: it must never count as live money.
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "mode does not match this endpoint"})
		return
	}
	ctx := c.Request.Context()
	if ev.Type == "account.application.deauthorized" {
		if ev.Account != "" {
			if err := h.engine.store.DisconnectAccount(ctx, ev.Account, ev.Livemode); err != nil {
				h.retryLater(c, ev.ID, err)
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"received": true})
		return
	}
	conn, err := h.engine.store.Connection(ctx, ev.Account, ev.Livemode)
	if apperr.Is(err, apperr.NotFound) || (err == nil && !conn.Active) {
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "account not connected"})
		return
	}
	if err != nil {
		h.retryLater(c, ev.ID, err)
		return
	}
	if !handled(ev.Type) {
		c.JSON(http.StatusOK, gin.H{"received": true, "ignored": "event type not used"})
		return
	}
	if err := h.engine.ApplyPushed(ctx, conn, rawEvent{ID: ev.ID, Type: ev.Type, Created: ev.Created,
		Livemode: ev.Livemode, Account: ev.Account, Object: ev.Data.Object}); err != nil {
		h.retryLater(c, ev.ID, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"received": true})
}

// retryLater answers 503 for an event that could not be applied now (the
// database or Stripe is unreachable): Stripe redelivers non-2xx answers,
// and the event applies once when it does.
func (h *WebhookHandler) retryLater(c *gin.Context, eventID string, err error) {
	h.log.WarnContext(c.Request.Context(), "webhook event not applied; Stripe will retry", "event", eventID, "err", err)
	respond.Errorf(c, apperr.Unavailable, "could not apply the event now; retry later")
}

func handled(t string) bool {
	for _, x := range EventTypes {
		if x == t {
			return true
		}
	}
	return false
}

// ApplyPushed applies one event delivered by a webhook. It is recorded by
// id, so the same event read later by a check changes nothing (and the
// reverse).
func (e *Engine) ApplyPushed(ctx context.Context, conn tracklane.StripeConnection, ev rawEvent) error {
	// Without a platform key for this mode the event may still be
	// applicable from its payload alone; the interpreter says when not.
	c, _ := e.client(conn.Livemode)
	in := &interpreter{client: c, store: e.store, conn: conn}
	se, err := in.interpret(ctx, ev)
	if err != nil {
		return err
	}
	se.Via = "webhook"
	_, err = e.store.ApplyEvents(ctx, conn, []store.StripeEvent{se}, nil)
	return err
}
