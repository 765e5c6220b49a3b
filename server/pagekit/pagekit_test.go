package pagekit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/keyset"
)

// newRouter is a bare engine, quiet in tests.
func newRouter() *gin.Engine {
	gin.SetMode(gin.TestMode)
	return gin.New()
}

func serve(r *gin.Engine, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestHeadersSetsCSPAndCapsForms(t *testing.T) {
	r := newRouter()
	r.Use(Headers)
	r.POST("/f", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			c.String(http.StatusRequestEntityTooLarge, "too large")
			return
		}
		c.String(http.StatusOK, "ok")
	})
	w := serve(r, httptest.NewRequest(http.MethodPost, "/f", strings.NewReader("a=b")))
	if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") != CSP || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("small form: %d %v", w.Code, w.Header())
	}
	if strings.Contains(CSP, "unsafe-inline") {
		t.Fatal("CSP allows inline code")
	}
	w = serve(r, httptest.NewRequest(http.MethodPost, "/f", strings.NewReader(strings.Repeat("a", MaxForm+1))))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("form over MaxForm read: %d", w.Code)
	}
}

func TestCheckURLRefusesThroughTheCallback(t *testing.T) {
	r := newRouter()
	r.Use(CheckURL(func(c *gin.Context, err error) { c.String(http.StatusTeapot, "refused: "+apperr.MessageOf(err)) }))
	r.GET("/p", func(c *gin.Context) { c.String(http.StatusOK, "page") })
	if w := serve(r, httptest.NewRequest(http.MethodGet, "/p?q=fine", nil)); w.Code != http.StatusOK || w.Body.String() != "page" {
		t.Fatalf("text address: %d %q", w.Code, w.Body)
	}
	req := httptest.NewRequest(http.MethodGet, "/p", nil)
	req.URL.RawQuery = "q=%ff"
	w := serve(r, req)
	if w.Code != http.StatusTeapot || !strings.HasPrefix(w.Body.String(), "refused: ") || strings.Contains(w.Body.String(), "page") {
		t.Fatalf("non-text address reached the page or skipped the callback: %d %q", w.Code, w.Body)
	}
}

func TestAssetVersionFollowsTheFiles(t *testing.T) {
	a := fstest.MapFS{"app.css": {Data: []byte("body{}")}}
	b := fstest.MapFS{"app.css": {Data: []byte("body{color:red}")}}
	if AssetVersion(a) != AssetVersion(a) || AssetVersion(a) == AssetVersion(b) || len(AssetVersion(a)) != 10 {
		t.Fatalf("versions: %q %q", AssetVersion(a), AssetVersion(b))
	}
	if AssetQuery(a) != "?v="+AssetVersion(a) {
		t.Fatalf("query %q", AssetQuery(a))
	}
}

func TestReadPage(t *testing.T) {
	p, err := ReadPage("", 7)
	if err != nil || p.Limit != 7 || p.After != nil {
		t.Fatalf("first page: %+v %v", p, err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err = ReadPage(keyset.Encode(at, "cv_1"), 7)
	if err != nil || p.After == nil || !p.After.Time.Equal(at) || p.After.ID != "cv_1" {
		t.Fatalf("next page: %+v %v", p, err)
	}
	if _, err := ReadPage("not a cursor", 7); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("broken cursor: %v", err)
	}
}

// preLoginServer serves GET /form (the token) and POST /form behind
// Require, with p's cookie.
func preLoginServer(p PreLogin) *gin.Engine {
	r := newRouter()
	r.GET("/form", func(c *gin.Context) { c.String(http.StatusOK, p.Token(c)) })
	r.POST("/form", p.Require(func(c *gin.Context) { c.String(http.StatusForbidden, "expired") }),
		func(c *gin.Context) { c.String(http.StatusOK, "done") })
	return r
}

func post(cookie *http.Cookie, token string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return req
}

func TestPreLoginToken(t *testing.T) {
	set := func(c *gin.Context, name, value string, maxAge int) {
		http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true})
	}
	p := PreLogin{Key: []byte("key-one"), Cookie: "tl_pre", SetCookie: set}
	r := preLoginServer(p)
	w := serve(r, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "tl_pre" || len(cookies[0].Value) < 40 {
		t.Fatalf("no pre-login cookie: %v", cookies)
	}
	cookie, token := cookies[0], w.Body.String()

	// The browser's cookie is kept, so its token stays the same.
	req := httptest.NewRequest(http.MethodGet, "/form", nil)
	req.AddCookie(cookie)
	if w := serve(r, req); w.Body.String() != token || len(w.Result().Cookies()) != 0 {
		t.Fatalf("token changed with the same cookie: %q, %v", w.Body, w.Result().Cookies())
	}

	if w := serve(r, post(cookie, token)); w.Code != http.StatusOK {
		t.Fatalf("matching token refused: %d", w.Code)
	}
	other := PreLogin{Key: []byte("key-two"), Cookie: "tl_pre", SetCookie: set}
	forged := MAC(other.Key, "pre", []byte(cookie.Value))
	session := MAC(p.Key, "session", []byte(cookie.Value))
	for name, req := range map[string]*http.Request{
		"no cookie":         post(nil, token),
		"no token":          post(cookie, ""),
		"other cookie":      post(&http.Cookie{Name: "tl_pre", Value: strings.Repeat("x", 43)}, token),
		"other key":         post(cookie, forged),
		"a session's token": post(cookie, session),
	} {
		if w := serve(r, req); w.Code != http.StatusForbidden || w.Body.String() != "expired" {
			t.Errorf("%s: %d %q", name, w.Code, w.Body)
		}
	}
}

func TestRequireToken(t *testing.T) {
	want := func(c *gin.Context) (string, bool) {
		tok := c.GetHeader("X-Session-Token")
		return tok, tok != ""
	}
	r := newRouter()
	r.Use(RequireToken(want, func(c *gin.Context) { c.String(http.StatusForbidden, "expired") }))
	r.Any("/form", func(c *gin.Context) { c.String(http.StatusOK, "done") })

	if w := serve(r, httptest.NewRequest(http.MethodGet, "/form", nil)); w.Code != http.StatusOK {
		t.Fatalf("GET refused: %d", w.Code)
	}
	ok := post(nil, "s3cret")
	ok.Header.Set("X-Session-Token", "s3cret")
	if w := serve(r, ok); w.Code != http.StatusOK {
		t.Fatalf("session's token refused: %d", w.Code)
	}
	wrong := post(nil, "guess")
	wrong.Header.Set("X-Session-Token", "s3cret")
	none := post(nil, "")
	for name, req := range map[string]*http.Request{"wrong token": wrong, "no session": none} {
		if w := serve(r, req); w.Code != http.StatusForbidden || w.Body.String() != "expired" {
			t.Errorf("%s: %d %q", name, w.Code, w.Body)
		}
	}
}

func TestFormsMountsTheFormBehindItsToken(t *testing.T) {
	set := func(c *gin.Context, name, value string, maxAge int) {
		http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge})
	}
	refuse := func(c *gin.Context) { c.String(http.StatusForbidden, "expired") }
	f := NewForms([]byte("key-one"), "tl_pre", set, func(*gin.Context) (string, bool) { return "", false }, refuse)
	r := newRouter()
	f.Form(r, "/form", func(c *gin.Context) { c.String(http.StatusOK, f.AnonToken(c)) },
		func(c *gin.Context) { c.String(http.StatusOK, "done") })

	w := serve(r, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookies := w.Result().Cookies()
	if w.Code != http.StatusOK || len(cookies) != 1 || cookies[0].Name != "tl_pre" {
		t.Fatalf("GET: %d %v", w.Code, cookies)
	}
	cookie, token := cookies[0], w.Body.String()
	if w := serve(r, post(cookie, token)); w.Code != http.StatusOK || w.Body.String() != "done" {
		t.Fatalf("the form's token refused: %d %q", w.Code, w.Body)
	}
	session := f.SessionToken([]byte(cookie.Value))
	if session != MAC([]byte("key-one"), "session", []byte(cookie.Value)) {
		t.Fatalf("SessionToken is not the session MAC under the key")
	}
	for name, tok := range map[string]string{"no token": "", "a session's token": session} {
		if w := serve(r, post(cookie, tok)); w.Code != http.StatusForbidden || w.Body.String() != "expired" {
			t.Errorf("%s: %d %q", name, w.Code, w.Body)
		}
	}
	if w := serve(r, post(nil, token)); w.Code != http.StatusForbidden {
		t.Errorf("no cookie: %d", w.Code)
	}
}
