package tracking

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversions"
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
// It checks the request, whether a personal token is the tenant's, hashes
// a browser's visitor, and hands the link to the conversion service
// (conversions.Service.LinkEmail), which checks a browser's link against
// the fraud signals; a server-side call with the tenant's personal token
// is trusted.
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
	var visitor, network []byte
	if !trusted {
		ip, now := c.ClientIP(), h.now()
		visitor, network = h.visitors.hash(ip, c.Request.UserAgent(), now), h.networkHash(ip, now)
	}
	if _, err := h.conversions.LinkEmail(ctx, conversions.LinkInput{
		TenantID: tenantID, CID: req.CID, Email: capString(email, 320), OriginID: strings.TrimSpace(req.RevenueOriginID),
		Trusted: trusted, Visitor: visitor, Network: network,
	}); err != nil {
		h.fail(c, err)
		return
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
