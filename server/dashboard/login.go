package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// The login throttle, within loginWindow (counted in PostgreSQL, so every
// process agrees; see package throttle):
//   - loginMaxPerEmailNet failed log-ins for one email from one network
//     (an IPv4 address, an IPv6 /64), then 429;
//   - loginMaxPerNet failed log-ins from one network whatever the email
//     (one guesser trying many accounts), then 429;
//   - loginSlowPerEmail failed log-ins for one email from anywhere (many
//     networks guessing one account), then every attempt for that email
//     waits, longer the more there were, but is never refused: a guesser
//     cannot lock the owner out, and the owner's right password from their
//     own network still gets in.
const (
	loginWindow         = 15 * time.Minute
	loginMaxPerEmailNet = 5
	loginMaxPerNet      = 20
	loginSlowPerEmail   = 20
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
	open, _, err := h.signupState(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.Auth(views.AuthPage{CSRF: h.anonCSRF(c), Next: safeNext(c.Query("next")), AssetQuery: h.assetQuery,
		Notice: resetNotice(c.Query("ok")), SignupOpen: open}))
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

	// The attempt is counted before the password is compared: parallel
	// attempts cannot all pass the check.
	network := ratelimit.ClientKey(c.ClientIP())
	perEmailNet := h.throttle.Key("login", email, network)
	attempt, err := h.throttle.Take(ctx,
		throttle.Limit{Key: perEmailNet, Window: loginWindow, Max: loginMaxPerEmailNet},
		throttle.Limit{Key: h.throttle.Key("login-network", network), Window: loginWindow, Max: loginMaxPerNet},
		throttle.Limit{Key: h.throttle.Key("login", email), Window: loginWindow, Max: loginSlowPerEmail, Slow: true},
	)
	if apperr.Is(err, apperr.RateLimited) {
		page.Error = "Too many failed attempts. Wait 15 minutes, then try again."
		c.Header("Retry-After", "900")
		h.render(c, http.StatusTooManyRequests, views.Auth(page))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.throttle.Wait(ctx, attempt); err != nil {
		return // the client left; the attempt stays counted
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
		page.Error = "Wrong email or password."
		h.render(c, http.StatusUnauthorized, views.Auth(page))
		return
	}
	if err := h.throttle.Succeeded(ctx, attempt, perEmailNet); err != nil {
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
