package signin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// maxIDLen bounds a session id read from a cookie: a longer one is no id
// of ours (ident.Secret's are 43 characters) and is not looked up.
const maxIDLen = 100

// SetCookie writes a cookie of the kind: its path, HttpOnly, SameSite=Lax,
// and Secure when the kind is. maxAge 0 makes a browser-session cookie, a
// negative one deletes the cookie. The kind's session cookie is written
// with it, and so is the edge's pre-login CSRF cookie
// (pagekit.PreLogin.SetCookie).
func (k *Kind[S]) SetCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: k.Path(c), MaxAge: maxAge,
		HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// setSession gives the browser the session id, for as long as a session
// lives.
func (k *Kind[S]) setSession(c *gin.Context, id string) {
	k.SetCookie(c, k.Cookie, id, int(Life/time.Second))
}

// clearSession deletes the browser's session cookie.
func (k *Kind[S]) clearSession(c *gin.Context) { k.SetCookie(c, k.Cookie, "", -1) }

// browserID is the session id the browser brought; false when it brought
// none, or nothing that can be one.
func (k *Kind[S]) browserID(c *gin.Context) (string, bool) {
	id, err := c.Cookie(k.Cookie)
	if err != nil || id == "" || len(id) >= maxIDLen {
		return "", false
	}
	return id, true
}
