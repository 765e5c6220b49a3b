package dashboard

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/views"
)

// Sign-ups per IP are throttled: each one costs a bcrypt hash and creates
// a tenant.
const (
	signupWindow = time.Hour
	signupMax    = 10
)

func (h *Handler) handleSignupForm(c *gin.Context) {
	if h.signedIn(c) {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	h.render(c, http.StatusOK, views.Auth(views.AuthPage{Signup: true, CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery}))
}

// handleSignup creates the tenant and its first user (account.Service
// checks the input) and signs the user in.
func (h *Handler) handleSignup(c *gin.Context) {
	ctx := c.Request.Context()
	page := views.AuthPage{
		Signup: true, CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery,
		Name: c.PostForm("name"), Email: c.PostForm("email"), Website: c.PostForm("website"),
	}
	key := h.throttleKey("signup", c.ClientIP())
	counts, err := h.store.RecentAttempts(ctx, h.now().Add(-signupWindow), key)
	if err != nil {
		h.fail(c, err)
		return
	}
	if counts[0] >= signupMax {
		page.Error = "Too many sign-ups from your network in the last hour. Try again later."
		h.render(c, http.StatusTooManyRequests, views.Auth(page))
		return
	}
	if err := h.store.RecordAttempt(ctx, h.now(), key); err != nil {
		h.fail(c, err)
		return
	}
	res, err := h.deps.Accounts.CreateTenant(ctx, account.NewTenantInput{
		Name: page.Name, Email: page.Email, Password: c.PostForm("password"), Website: page.Website,
	})
	if err != nil {
		status, msg := h.userMessage(c, err)
		page.Error = msg
		h.render(c, status, views.Auth(page))
		return
	}
	u, err := h.store.UserByEmail(ctx, res.Email)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.startSession(c, u); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/?ok=signed-up")
}

// signedIn reports whether the browser has a live session (for pages that
// are shown signed out only).
func (h *Handler) signedIn(c *gin.Context) bool {
	id, err := c.Cookie(sessionCookie)
	if err != nil || id == "" || len(id) >= 100 {
		return false
	}
	_, err = h.store.SessionByHash(c.Request.Context(), hashID(id), h.now())
	return err == nil
}
