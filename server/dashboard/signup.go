package dashboard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// Sign-ups per network (an IPv4 address, an IPv6 /64) are throttled, every
// one counted, successful or not: each costs a bcrypt hash and may create a
// tenant.
const (
	signupWindow = time.Hour
	signupMax    = 10
)

// signupDone is where a sign-up goes on, whether its email was new or not.
const signupDone = "/?ok=signed-up"

func (h *Handler) handleSignupForm(c *gin.Context) {
	if h.signedIn(c) {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if !h.signupAllowed(c) {
		return
	}
	h.render(c, http.StatusOK, views.Auth(views.AuthPage{Signup: true, CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery}))
}

// handleSignup creates the tenant and its first user (account.Service
// checks the input) and signs the user in. An email that already has an
// account gets the same answer as a new one (signupEmailTaken).
func (h *Handler) handleSignup(c *gin.Context) {
	if !h.signupAllowed(c) {
		return
	}
	ctx := c.Request.Context()
	page := views.AuthPage{
		Signup: true, CSRF: h.anonCSRF(c), AssetQuery: h.assetQuery,
		Name: c.PostForm("name"), Email: c.PostForm("email"), Website: c.PostForm("website"),
	}
	_, err := h.throttle.Take(ctx, throttle.Limit{
		Key: h.throttle.Key("signup", ratelimit.ClientKey(c.ClientIP())), Window: signupWindow, Max: signupMax,
	})
	if apperr.Is(err, apperr.RateLimited) {
		page.Error = "Too many sign-ups from your network in the last hour. Try again later."
		c.Header("Retry-After", "3600")
		h.render(c, http.StatusTooManyRequests, views.Auth(page))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	res, err := h.deps.Accounts.CreateTenant(ctx, account.NewTenantInput{
		Name: page.Name, Email: page.Email, Password: c.PostForm("password"), Website: page.Website, NoToken: true,
	})
	if errors.Is(err, store.ErrEmailTaken) {
		h.signupEmailTaken(c, page.Email)
		return
	}
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
	if err := h.signin.Start(c, store.SessionOwner{TenantID: u.TenantID, UserID: u.ID}); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, signupDone)
}

// signupEmailTaken answers a sign-up whose email already has an account as
// a successful one is answered — the same redirect, a session cookie of the
// same shape, after the same bcrypt work (CreateTenant hashed the password
// before it found the email taken) — so the form does not tell anyone who
// has an account. Nothing is created or changed; the cookie names no
// session, so the browser lands on the log-in page.
func (h *Handler) signupEmailTaken(c *gin.Context, email string) {
	if err := h.signin.Decoy(c); err != nil {
		h.fail(c, err)
		return
	}
	h.notifyOwnerOfSignup(c.Request.Context(), email)
	c.Redirect(http.StatusSeeOther, signupDone)
}

// notifyOwnerOfSignup records that someone tried to sign up with the
// address of an existing account. It is only logged: SPEC §7's mails do
// not include one to the owner (an owner who forgot they have an account
// finds /forgot on the log-in page the answer leads to).
func (h *Handler) notifyOwnerOfSignup(ctx context.Context, email string) {
	h.log.InfoContext(ctx, "sign-up with an email that already has an account: nothing created, no mail sent",
		"email", tracklane.FoldEmail(email))
}
