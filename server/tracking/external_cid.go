package tracking

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
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
// Because of that, a browser's link is checked against the fraud signals
// (attribution.LinkFlags); a server-side call with the tenant's personal
// token is trusted.
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
	trusted, err := h.trusted(c, tenantID)
	if err != nil {
		h.fail(c, err)
		return
	}
	email = capString(email, 320)
	now := h.now()
	var by store.Linker
	if !trusted {
		ip := c.ClientIP()
		by = store.Linker{Visitor: h.visitors.hash(ip, c.Request.UserAgent(), now), Network: h.networkHash(ip, now)}
	}
	facts, err := h.store.LinkFacts(ctx, tenantID, req.CID, email, by, now.Add(-24*time.Hour))
	if err != nil {
		h.fail(c, err)
		return
	}
	facts.Trusted = trusted
	flags := attribution.LinkFlags(facts)
	if _, err := h.store.CreateLinkFrom(ctx, tenantID, req.CID, email, strings.TrimSpace(req.RevenueOriginID), by, flags); err != nil {
		h.fail(c, err)
		return
	}
	if len(flags) > 0 {
		h.log.Warn("email link flagged", "tenant", tenantID, "flags", flags)
	}
	if h.notifier != nil {
		h.notifier.Linked(ctx, tenantID, email)
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}

// trusted reports whether the request carries a personal token of the
// tenant (Authorization: Bearer, or X-Api-Key); a token that is wrong or of
// another tenant is refused rather than ignored.
func (h *Handler) trusted(c *gin.Context, tenantID string) (bool, error) {
	token := c.GetHeader("X-Api-Key")
	if scheme, rest, ok := strings.Cut(c.GetHeader("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	}
	if token == "" || h.auth == nil {
		return false, nil
	}
	owner, err := h.auth(c.Request.Context(), token)
	if err != nil {
		return false, err
	}
	if owner != tenantID {
		return false, apperr.Errorf(apperr.Unauthorized, "the personal token is not this tenant's")
	}
	return true, nil
}
