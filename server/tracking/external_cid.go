package tracking

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

type externalCIDRequest struct {
	TenantID        string `json:"tenantId"`
	CID             string `json:"cid"`
	ExternalCID     string `json:"externalCid"`
	RevenueOriginID string `json:"revenueOriginId"`
}

// handleExternalCID links a customer identifier (the email given on the
// thank-you page) to the visitor's click. Called by the tracker or
// server-side; needs no auth, since knowing a click id is the credential.
func (h *Handler) handleExternalCID(c *gin.Context) {
	var req externalCIDRequest
	if err := jsonbody.Decode(c.Writer, c.Request, maxBody, &req); err != nil {
		h.fail(c, err)
		return
	}
	tenantID := strings.TrimSpace(req.TenantID)
	email := tracklane.FoldEmail(req.ExternalCID)
	switch {
	case tenantID == "":
		respond.Errorf(c, apperr.Invalid, "tenantId is required")
		return
	case req.CID == "":
		respond.Errorf(c, apperr.Invalid, "cid is required")
		return
	case email == "":
		respond.Errorf(c, apperr.Invalid, "externalCid (the customer's email) is required")
		return
	case len(email) > 320 || strings.ContainsAny(email, "\x00\r\n"):
		respond.Errorf(c, apperr.Invalid, "externalCid is not a customer identifier (at most 320 characters, one line)")
		return
	case len(req.RevenueOriginID) > 64:
		respond.Errorf(c, apperr.Unprocessable, "revenueOriginId is not one of this tenant's revenue origins")
		return
	}
	ctx := c.Request.Context()
	if _, err := h.tenant(ctx, tenantID); err != nil {
		h.fail(c, err)
		return
	}
	if !tracklane.ValidClickID(req.CID) {
		respond.Errorf(c, apperr.NotFound, "no click %q for this tenant", capString(req.CID, 64))
		return
	}
	if _, err := h.store.CreateLink(ctx, tenantID, req.CID, capString(email, 320), strings.TrimSpace(req.RevenueOriginID)); err != nil {
		h.fail(c, err)
		return
	}
	if h.notifier != nil {
		h.notifier.Linked(ctx, tenantID, email)
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
