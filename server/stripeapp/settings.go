package stripeapp

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/respond"
)

// handleSettings connects the signed account, in the request's mode, to the
// tenant named in the body. The personal token proves the merchant may act
// for that tenant; only its hint is kept. The first check is left to the
// scheduler: a new connection is due at once.
func (h *Handler) handleSettings(c *gin.Context, req request) {
	var in struct {
		TenantID      string `json:"tenant_id"`
		PersonalToken string `json:"personal_token"`
	}
	if err := req.decode(&in); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	tenantID, token := strings.TrimSpace(in.TenantID), strings.TrimSpace(in.PersonalToken)
	if tenantID == "" {
		respond.Errorf(c, apperr.Invalid, "tenant_id is required")
		return
	}
	if token == "" {
		respond.Errorf(c, apperr.Invalid, "personal_token is required")
		return
	}
	ctx := c.Request.Context()
	// Unknown tenant, unknown or revoked token, another tenant's token: one
	// answer for all, so the endpoint tells nothing about which tenants exist.
	owner, err := h.tokens.Authenticate(ctx, token)
	if err != nil && !apperr.Is(err, apperr.Unauthorized) {
		respond.Error(c, h.log, err)
		return
	}
	if err != nil || owner != tenantID {
		respond.Errorf(c, apperr.Unprocessable,
			"the personal token is not a valid token of tenant %.64q: copy a live token of that tenant from its dashboard (tokens can be revoked)", tenantID)
		return
	}
	conn, err := h.store.Connect(ctx, tenantID, req.AccountID, req.Livemode, req.UserID, ident.Hint(token))
	if err != nil {
		respond.Error(c, h.log, err) // another tenant holds account+mode: 409
		return
	}
	h.log.InfoContext(ctx, "stripe app connected", "tenant", tenantID, "account", req.AccountID, "mode", req.mode(), "user", req.UserID)
	s, err := h.statusWithParked(ctx, conn)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, s)
}
