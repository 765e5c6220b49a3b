package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

func (h *Handler) handleLoginForm(c *gin.Context) {
	if h.signedIn(c) {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	open, _, err := h.signupState(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.Auth(views.AuthPage{CSRF: h.anonCSRF(c), Next: safeNext(c.Query("next")), AssetQuery: h.assetQuery,
		Notice: resetNotice(c.Query("ok")), SignupOpen: open}))
}

// handleLogin logs a user in (signin.Kind.LogIn: throttled, checked by
// account.Service.MerchantLogin) and goes on to the page asked for.
func (h *Handler) handleLogin(c *gin.Context) {
	// The email as typed, folded: it keys the throttle and is shown again.
	// MerchantLogin finds no user for one that cannot be an email.
	email := tracklane.FoldEmail(c.PostForm("email"))
	page := views.AuthPage{CSRF: h.anonCSRF(c), Email: email, Next: safeNext(c.PostForm("next")), AssetQuery: h.assetQuery}
	err := h.signin.LogIn(c, email, "", func(ctx context.Context) (store.SessionOwner, error) {
		u, err := h.deps.Accounts.MerchantLogin(ctx, email, c.PostForm("password"))
		return store.SessionOwner{TenantID: u.TenantID, UserID: u.ID}, err
	})
	if status, msg, refused := signin.Refusal(c, err); refused {
		page.Error = msg
		h.render(c, status, views.Auth(page))
		return
	}
	if errors.Is(err, signin.ErrLeft) {
		return // the attempt stays counted
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, or(page.Next, "/"))
}

// safeNext keeps a post-login destination only when it is a path of this
// site: it must start with a single "/", hold no control character (browsers
// drop tabs and newlines, so "/\t/evil.example" becomes "//evil.example")
// and no backslash (which browsers read as "/"), be valid UTF-8, and parse
// as a URL with no scheme, host or user. Anything else is dropped (the
// login then goes to the overview).
func safeNext(next string) string {
	if len(next) > 1000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		!utf8.ValidString(next) || strings.ContainsRune(next, '\\') {
		return ""
	}
	for _, r := range next {
		if unicode.IsControl(r) {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return next
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
