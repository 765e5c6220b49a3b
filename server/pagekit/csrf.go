package pagekit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/tracklane/tracklane/server/ident"
)

// MAC is the HMAC-SHA256 of v under key, for the purpose kind (so a token
// of one kind never passes as another), URL-safe encoded. The edges make
// their session CSRF tokens with it; PreLogin makes the pre-login ones.
func MAC(key []byte, kind string, v []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00"))
	m.Write(v)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// PreLogin is the CSRF token of the forms shown before a session exists
// (log-in, sign-up, password reset): the HMAC of a random value the
// browser keeps in a cookie, so it needs no storage and another site,
// which cannot read the cookie, cannot forge the form.
type PreLogin struct {
	// Key is the edge's CSRF secret (config.Key of its purpose).
	Key []byte
	// Cookie is the name of the cookie holding the random value.
	Cookie string
	// SetCookie writes a cookie with the edge's path and flags.
	SetCookie func(c *gin.Context, name, value string, maxAge int)
}

// Token returns the form's token, first setting the browser's random
// cookie (a session cookie) when it has none or a malformed one.
func (p PreLogin) Token(c *gin.Context) string {
	v, err := c.Cookie(p.Cookie)
	if err != nil || len(v) < 40 || len(v) > 100 {
		v = ident.Secret()
		p.SetCookie(c, p.Cookie, v, 0)
	}
	return MAC(p.Key, "pre", []byte(v))
}

// Check reports whether the POSTed form field "csrf" is the token of the
// browser's cookie; without the cookie nothing passes.
func (p PreLogin) Check(c *gin.Context) bool {
	v, err := c.Cookie(p.Cookie)
	if err != nil || v == "" {
		return false
	}
	return hmac.Equal([]byte(c.PostForm("csrf")), []byte(MAC(p.Key, "pre", []byte(v))))
}

// Require returns the middleware of a pre-login form's POST route: it
// refuses the request unless Check passes. refuse writes the edge's own
// answer; the request is aborted after it.
func (p PreLogin) Require(refuse func(c *gin.Context)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !p.Check(c) {
			refuse(c)
			c.Abort()
			return
		}
		c.Next()
	}
}

// RequireToken returns the middleware of a signed-in group: a request
// other than POST passes; a POST passes only when its form field "csrf" is
// want(c), the session's token (want's false, no session: refused).
// refuse writes the edge's own answer; the request is aborted after it.
func RequireToken(want func(c *gin.Context) (string, bool), refuse func(c *gin.Context)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		token, ok := want(c)
		if !ok || !hmac.Equal([]byte(c.PostForm("csrf")), []byte(token)) {
			refuse(c)
			c.Abort()
			return
		}
		c.Next()
	}
}

// Forms is an edge's CSRF protection of its forms (NewForms): the
// pre-login token of its signed-out forms, the session token of its
// signed-in ones, and the middlewares that check each.
type Forms struct {
	key []byte
	pre PreLogin
	// Anon refuses a signed-out form's POST (log-in, sign-up, reset…)
	// without the token of the browser's pre-login cookie.
	Anon gin.HandlerFunc
	// Session refuses a POST of the signed-in group without the session's
	// token (RequireToken); it runs after the session is loaded.
	Session gin.HandlerFunc
}

// NewForms returns the CSRF protection of an edge's forms. key is its
// CSRF secret (config.Key of its own purpose); preCookie names its
// pre-login cookie and setCookie writes a cookie with its path and flags;
// sessionToken is a signed-in request's token (RequireToken's want);
// refuse writes the edge's answer to a refused form.
func NewForms(key []byte, preCookie string, setCookie func(c *gin.Context, name, value string, maxAge int),
	sessionToken func(c *gin.Context) (string, bool), refuse func(c *gin.Context)) Forms {
	pre := PreLogin{Key: key, Cookie: preCookie, SetCookie: setCookie}
	return Forms{key: key, pre: pre, Anon: pre.Require(refuse), Session: RequireToken(sessionToken, refuse)}
}

// AnonToken returns the signed-out forms' token, setting the browser's
// random pre-login cookie when it has none (PreLogin.Token).
func (f Forms) AnonToken(c *gin.Context) string { return f.pre.Token(c) }

// SessionToken is the CSRF token of the session whose id hashes to
// idHash: an HMAC of it, so it needs no storage and dies with the session.
func (f Forms) SessionToken(idHash []byte) string { return MAC(f.key, "session", idHash) }

// Form mounts a signed-out form at path on g: GET shows it, POST takes it
// behind Anon, so no such form is taken without its token.
func (f Forms) Form(g gin.IRouter, path string, show, take gin.HandlerFunc) {
	g.GET(path, show)
	g.POST(path, f.Anon, take)
}
