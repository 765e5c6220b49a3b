package stripeapp

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// statusBody is the answer of /status, /settings and /disconnect. Every key
// is always present: when not connected, all but Connected are null.
type statusBody struct {
	Connected   bool           `json:"connected"`
	TenantID    *string        `json:"tenant_id"`
	TokenHint   *string        `json:"token_hint"`
	LastCheck   *lastCheckBody `json:"last_check"`
	NextCheckAt *string        `json:"next_check_at"`
	// ParkedEvents counts the events set aside because a lookup they need
	// keeps being refused (SPEC section 13).
	ParkedEvents *int `json:"parked_events"`
}

// lastCheckBody is the outcome of the last check; FinishedAt is null while
// it runs, Error null when it succeeded.
type lastCheckBody struct {
	StartedAt          *string `json:"started_at"`
	FinishedAt         *string `json:"finished_at"`
	EventsSeen         int     `json:"events_seen"`
	ConversionsCreated int     `json:"conversions_created"`
	ConversionsUpdated int     `json:"conversions_updated"`
	Error              *string `json:"error"`
}

// disconnected is the status of an account+mode no tenant holds.
var disconnected = statusBody{}

// statusOf describes a connection; an inactive one is not connected.
func statusOf(conn tracklane.StripeConnection) statusBody {
	if !conn.Active {
		return disconnected
	}
	s := statusBody{Connected: true, TenantID: &conn.TenantID, TokenHint: &conn.TokenHint, NextCheckAt: timestamp(conn.NextCheckAt)}
	if lc := conn.LastCheck; lc != nil {
		s.LastCheck = &lastCheckBody{
			StartedAt: timestamp(lc.StartedAt), EventsSeen: lc.EventsSeen,
			ConversionsCreated: lc.ConversionsCreated, ConversionsUpdated: lc.ConversionsUpdated,
		}
		if lc.FinishedAt != nil {
			s.LastCheck.FinishedAt = timestamp(*lc.FinishedAt)
		}
		if lc.Error != "" {
			s.LastCheck.Error = &lc.Error
		}
	}
	return s
}

// statusWithParked is statusOf with the connection's parked events
// counted (a disconnected status says null).
func (h *Handler) statusWithParked(ctx context.Context, conn tracklane.StripeConnection) (statusBody, error) {
	s := statusOf(conn)
	if !s.Connected {
		return s, nil
	}
	n, err := h.store.ParkedEventCount(ctx, conn.ID)
	if err != nil {
		return s, err
	}
	s.ParkedEvents = &n
	return s, nil
}

// timestamp formats t as RFC 3339 UTC; the zero time is null.
func timestamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// connection returns the active connection of the request's account+mode;
// ok is false when there is none (never connected, or disconnected).
func (h *Handler) connection(c *gin.Context, req request) (conn tracklane.StripeConnection, ok bool, err error) {
	conn, err = h.store.Connection(c.Request.Context(), req.AccountID, req.Livemode)
	if apperr.Is(err, apperr.NotFound) {
		return tracklane.StripeConnection{}, false, nil
	}
	if err != nil {
		return tracklane.StripeConnection{}, false, err
	}
	return conn, conn.Active, nil
}

// handleStatus answers the connection status of the signed account in the
// request's mode, whichever tenant holds it.
func (h *Handler) handleStatus(c *gin.Context, req request) {
	conn, ok, err := h.connection(c, req)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if !ok {
		c.JSON(http.StatusOK, disconnected)
		return
	}
	s, err := h.statusWithParked(c.Request.Context(), conn)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, s)
}
