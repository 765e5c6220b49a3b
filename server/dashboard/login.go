package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// The login throttle: at most loginMaxPerIP failures per email from one IP,
// and loginMaxPerEmail from anywhere (a spread-out attack on one account),
// within loginWindow. Counted in PostgreSQL, so every process agrees.
const (
	loginWindow      = 15 * time.Minute
	loginMaxPerIP    = 5
	loginMaxPerEmail = 20
)

// dummyHash is compared against when the email is unknown, so that an
// unknown email takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)
	return h
})

func (h *Handler) handleLoginForm(c *gin.Context) {
	if h.signedIn(c) {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	h.render(c, http.StatusOK, views.Auth(views.AuthPage{CSRF: h.anonCSRF(c), Next: safeNext(c.Query("next")), AssetQuery: h.assetQuery}))
}

// throttleKey keys the login throttle by an HMAC, so the table holds no
// email or IP address.
func (h *Handler) throttleKey(parts ...string) []byte {
	m := hmac.New(sha256.New, h.limitKey)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

func (h *Handler) handleLogin(c *gin.Context) {
	ctx := c.Request.Context()
	// Emails are compared as account stores them; one that cannot be an
	// email finds no user, like an unknown one.
	email, emailErr := account.NormalizeEmail(c.PostForm("email"))
	if emailErr != nil {
		email = tracklane.FoldEmail(c.PostForm("email"))
	}
	page := views.AuthPage{CSRF: h.anonCSRF(c), Email: email, Next: safeNext(c.PostForm("next")), AssetQuery: h.assetQuery}
	perIP := h.throttleKey("login", email, c.ClientIP())
	perEmail := h.throttleKey("login", email)
	now := h.now()
	counts, err := h.store.RecentAttempts(ctx, now.Add(-loginWindow), perIP, perEmail)
	if err != nil {
		h.fail(c, err)
		return
	}
	if counts[0] >= loginMaxPerIP || counts[1] >= loginMaxPerEmail {
		page.Error = "Too many failed attempts. Wait 15 minutes, then try again."
		h.render(c, http.StatusTooManyRequests, views.Auth(page))
		return
	}
	u, err := h.store.UserByEmail(ctx, email)
	if emailErr != nil {
		err = emailErr
	} else if err != nil && !apperr.Is(err, apperr.NotFound) {
		h.fail(c, err)
		return
	}
	hash := dummyHash()
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(c.PostForm("password"))) != nil || err != nil {
		if err := h.store.RecordAttempt(ctx, now, perIP, perEmail); err != nil {
			h.fail(c, err)
			return
		}
		page.Error = "Wrong email or password."
		h.render(c, http.StatusUnauthorized, views.Auth(page))
		return
	}
	if err := h.store.ClearAttempts(ctx, perIP); err != nil {
		h.fail(c, err)
		return
	}
	if err := h.startSession(c, u); err != nil {
		h.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, or(page.Next, "/"))
}

// safeNext keeps a post-login destination only when it is a path of this
// site (no open redirect to //evil.example or https://…).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > 1000 {
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
