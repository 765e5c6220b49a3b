package dashboard

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/views"
)

// signupState says whether a browser may sign up now under SIGNUP (open)
// and whether the instance has no tenant yet (fresh).
func (h *Handler) signupState(ctx context.Context) (open, fresh bool, err error) {
	exists, err := h.store.HasTenants(ctx)
	if err != nil {
		return false, false, err
	}
	switch h.deps.Config.Signup {
	case config.SignupOpen:
		return true, !exists, nil
	case config.SignupClosed:
		return false, !exists, nil
	default: // config.SignupFirst
		return !exists, !exists, nil
	}
}

// signupAllowed answers a sign-up page or post that SIGNUP refuses (403,
// a page saying who can make an account) and reports whether it may go on.
func (h *Handler) signupAllowed(c *gin.Context) bool {
	open, _, err := h.signupState(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return false
	}
	if open {
		return true
	}
	msg := "This Tracklane server already has its account, and sign-up is closed. Ask its owner to invite you, or log in."
	if h.deps.Config.Signup == config.SignupClosed {
		msg = "Sign-up is closed on this Tracklane server. Its operator creates accounts (tenant create); ask them, or log in."
	}
	h.render(c, http.StatusForbidden, views.Auth(views.AuthPage{CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery, Error: msg}))
	return false
}
