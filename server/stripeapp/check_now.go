package stripeapp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/respond"
)

// checkNowBody is the answer of /check-now.
type checkNowBody struct {
	EventsSeen         int     `json:"events_seen"`
	ConversionsCreated int     `json:"conversions_created"`
	ConversionsUpdated int     `json:"conversions_updated"`
	FinishedAt         *string `json:"finished_at"`
}

// handleCheckNow runs a check of the signed account's connection and
// answers when it is done (or when the check already running is). The
// checker's errors keep their codes: Stripe refusing → 502, no platform key
// for the mode → 503.
func (h *Handler) handleCheckNow(c *gin.Context, req request) {
	conn, ok, err := h.connection(c, req)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if !ok {
		respond.Errorf(c, apperr.Conflict, "this Stripe account is not connected to Tracklane in %s mode: save the settings first", req.mode())
		return
	}
	if h.checker == nil {
		respond.Errorf(c, apperr.Unavailable, "Stripe checks are not set up on this server")
		return
	}
	res, err := h.checker.CheckNow(c.Request.Context(), conn)
	if err == nil && res.Error != "" { // a check that failed is not a success, however it was reported
		err = apperr.Errorf(apperr.BadGateway, "%s", res.Error)
	}
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	finished := h.now()
	if res.FinishedAt != nil {
		finished = *res.FinishedAt
	}
	c.JSON(http.StatusOK, checkNowBody{
		EventsSeen: res.EventsSeen, ConversionsCreated: res.ConversionsCreated, ConversionsUpdated: res.ConversionsUpdated,
		FinishedAt: timestamp(finished),
	})
}
