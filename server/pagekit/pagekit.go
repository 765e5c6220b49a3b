// Package pagekit is what every HTML edge (the dashboard, the affiliate
// portal's doors and its signed-in pages) puts around its pages: the
// security headers and form cap, the refusal of an address that is not
// text, the cache-busting asset query, the keyset page cursor of a list
// page, and the pre-login CSRF token. One place sets them, so the edges
// cannot drift apart; each edge keeps its own wording for a refusal.
package pagekit

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/urlcheck"
)

// CSP allows only our own files: no inline script or style anywhere. A
// page that must run an inline script (the dashboard's integration demo)
// sets its own, with a nonce.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// MaxForm caps a form body: no page's form is anywhere near it.
const MaxForm = 64 << 10

// Headers is the middleware that sets what every page answer carries
// (no caching, the CSP) and caps a POST's body at MaxForm.
func Headers(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", CSP)
	if c.Request.Method == http.MethodPost {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxForm)
	}
	c.Next()
}

// CheckURL returns the middleware that refuses, before any page reads it,
// an address whose path or query is not text (urlcheck): such a value
// would reach SQL as a 500. refuse writes the edge's own answer for the
// urlcheck error; the request is aborted after it.
func CheckURL(refuse func(c *gin.Context, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := urlcheck.Check(c.Request.URL); err != nil {
			refuse(c, err)
			c.Abort()
		}
	}
}

// AssetVersion hashes the files of fsys (the embedded static.FS), so a
// new build's CSS and JS are fetched fresh while unchanged ones stay
// cached. It reads every file: compute it once, at construction.
func AssetVersion(fsys fs.FS) string {
	sum := sha256.New()
	_ = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(fsys, path)
		if err == nil {
			sum.Write([]byte(path))
			sum.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(sum.Sum(nil))[:10]
}

// AssetQuery is the query pages put on /static links: "?v=" + AssetVersion.
func AssetQuery(fsys fs.FS) string { return "?v=" + AssetVersion(fsys) }

// ReadPage reads a list page's ?after= (a keyset.Encode of the last row
// shown) into a keyset page of size rows; a broken cursor is Invalid.
func ReadPage(after string, size int) (store.Page, error) {
	p := store.Page{Limit: size}
	if after == "" {
		return p, nil
	}
	t, id, err := keyset.Decode(after)
	if err != nil {
		return p, apperr.Errorf(apperr.Invalid, "this page link is broken; start again from the newest page")
	}
	p.After = &store.Cursor{Time: t, ID: id}
	return p, nil
}
