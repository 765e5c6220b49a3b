package securitytest

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// The query-parameter property test drives every GET route of the wired
// router (its own route list, so a new route is covered the day it is
// added) with every query parameter the server's code reads (found in the
// source, so a new parameter is covered too), one hostile value at a time
// on top of valid values for the rest, signed in as a dashboard user and
// with a personal token. No answer may be a 5xx: bad input is a 4xx.

// queryReads finds the names of query parameters the server's code reads:
// c.Query("x"), c.GetQuery("x"), c.DefaultQuery("x", …), c.QueryArray("x")
// and q.Get("x") on a url.Values named q.
var queryReads = regexp.MustCompile(`(?:\.(?:Query|GetQuery|DefaultQuery|QueryArray)\(|\bq\.Get\()"([A-Za-z0-9_\[\]-]+)"`)

func queryParamNames(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	// The server's source is two levels up (server/e2e/securitytest); test
	// support, the stand-alone programs and the end-to-end tests serve no
	// route of the server.
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testkit" || d.Name() == "cmd" || d.Name() == "e2e") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range queryReads.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the server's source: %v", err)
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	// The scan must find the parameters every list and page reads.
	for _, want := range []string{"limit", "cursor", "after", "since", "period", "from", "to", "status", "affiliate", "affiliate_id"} {
		if !seen[want] {
			t.Fatalf("the source scan did not find the query parameter %q (found %v): fix queryReads", want, names)
		}
	}
	return names
}

// hostile are the values each parameter is tried with.
var hostile = []string{
	"", "0", "-1", "1", "201", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"99999999999999999999999", "1e309", "NaN", "-0", "0x1f", "1.5",
	"2026-02-30", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "-0001-01-01", "1970-01-01T00:00:00Z",
	"\x00", "a\x00b", "\xff\xfe", "\u202e", "%", "'; DROP TABLE tenants; --", "<script>alert(1)</script>",
	"../../etc/passwd", "//evil.example", strings.Repeat("9", 400), strings.Repeat("x", 5000),
	"custom", "7d", "pending", "test", "approved",
}

// routeWorld is an app with one tenant's data, and how to sign requests.
type routeWorld struct {
	app      *apptest.App
	routes   []gin.RouteInfo
	params   []string
	baseline url.Values
	pathVals map[string][]string // path parameter name → values to try
	cookie   string
	token    string
	client   *http.Client
}

func newRouteWorld(t testing.TB) *routeWorld {
	t.Helper()
	app := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
	w := &routeWorld{app: app, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	engine, ok := app.Handler.(*gin.Engine)
	if !ok {
		t.Fatalf("the wired handler is a %T, not a *gin.Engine", app.Handler)
	}
	for _, r := range engine.Routes() {
		if r.Method == http.MethodGet {
			w.routes = append(w.routes, r)
		}
	}
	sort.Slice(w.routes, func(i, j int) bool { return w.routes[i].Path < w.routes[j].Path })
	w.params = queryParamNames(t)

	// A signed-in owner with an affiliate, a click, an email link and a
	// conversion.
	v := newVisitor(t, app)
	tenantID := v.signup("Route Shop", "owner@routes.example")
	d := populate(t, app, tenantID, "routes", "buyer@customer.example", nil)
	w.token = d.token
	for _, c := range v.c.Jar.Cookies(mustURL(app.URL)) {
		if c.Name == "tl_session" {
			w.cookie = c.Name + "=" + c.Value
		}
	}
	if w.cookie == "" {
		t.Fatal("no session cookie after sign-up")
	}
	w.baseline = url.Values{
		"period": {"custom"}, "from": {"2026-01-01"}, "to": {"2026-01-31"}, "limit": {"10"}, "status": {"pending"},
		"affiliate": {d.affiliate}, "affiliate_id": {d.affiliate}, "since": {fmt.Sprint(time.Now().UnixMilli())},
		"next": {"/clicks"}, "ok": {"settings-saved"},
	}
	w.pathVals = map[string][]string{
		"id":       {d.affiliate, d.conversion, fmt.Sprint(d.connection), "x", "0", "-1", "9223372036854775808", "%00", "%FF", strings.Repeat("a", 3000)},
		"code":     {"routes", "ROUTES", "no-such-code", "x", "%00", "%FF", strings.Repeat("a", 3000)},
		"filepath": {"app.css", "../go.mod", "%00", "%FF", "nope.js"},
	}
	return w
}

// fill puts values into a route's path parameters.
func (w *routeWorld) fill(path string, val func(name string) string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = val(p[1:])
		}
	}
	return strings.Join(parts, "/")
}

// get requests path?query signed in both ways and returns the status.
func (w *routeWorld) get(t testing.TB, path, rawQuery string) int {
	t.Helper()
	u := w.app.URL + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0 // not a request a client can send
	}
	req.Header.Set("Cookie", w.cookie)
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("User-Agent", "Mozilla/5.0 routes")
	resp, err := w.client.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (w *routeWorld) firstPathValue(name string) string {
	if vs := w.pathVals[name]; len(vs) > 0 {
		return vs[0]
	}
	return "x"
}

// query is the baseline with one parameter set to value (absent if unset).
func (w *routeWorld) query(param string, value *string) string {
	q := url.Values{}
	for k, v := range w.baseline {
		q[k] = v
	}
	if value == nil {
		q.Del(param)
	} else {
		q.Set(param, *value)
	}
	return q.Encode()
}

func TestNoServerErrorForAnyQueryOfAnyGetRoute(t *testing.T) {
	t.Parallel()
	w := newRouteWorld(t)
	type probe struct{ path, query string }
	var probes []probe
	for _, r := range w.routes {
		// Each path parameter with each value, the rest valid.
		for name, vals := range w.pathVals {
			if !strings.Contains(r.Path, ":"+name) && !strings.Contains(r.Path, "*"+name) {
				continue
			}
			for _, v := range vals {
				path := w.fill(r.Path, func(n string) string {
					if n == name {
						return v
					}
					return w.firstPathValue(n)
				})
				probes = append(probes, probe{path, w.query("", nil)})
			}
		}
		path := w.fill(r.Path, w.firstPathValue)
		for _, p := range w.params {
			probes = append(probes, probe{path, w.query(p, nil)})
			for _, v := range hostile {
				probes = append(probes, probe{path, w.query(p, &v)})
			}
		}
		// Raw query strings url.Values would never write.
		for _, raw := range []string{"limit=%zz", "since=%", "period=custom&from=%00&to=%ff", "&&&", "a=1;b=2", "limit=1&limit=2"} {
			probes = append(probes, probe{path, raw})
		}
	}
	var mu sync.Mutex
	fails := map[string]string{}
	work := make(chan probe)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if s := w.get(t, p.path, p.query); s >= 500 {
					mu.Lock()
					fails[p.path+"?"+p.query] = fmt.Sprint(s)
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range probes {
		work <- p
	}
	close(work)
	wg.Wait()
	t.Logf("%d requests over %d GET routes and %d query parameters %v", len(probes), len(w.routes), len(w.params), w.params)
	n := 0
	for u, s := range fails {
		if n++; n > 30 {
			t.Errorf("… and %d more", len(fails)-30)
			break
		}
		t.Errorf("GET %s → %s", capLen(u, 300), s)
	}
}

func capLen(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// FuzzGetRoutes lets the fuzzer choose the route, the parameter and its
// value (seeded with the hostile values): never a 5xx.
func FuzzGetRoutes(f *testing.F) {
	for i, v := range hostile {
		f.Add(uint16(i), uint16(i*7), v)
	}
	w := newRouteWorld(f)
	f.Fuzz(func(t *testing.T, route, param uint16, value string) {
		r := w.routes[int(route)%len(w.routes)]
		p := w.params[int(param)%len(w.params)]
		path := w.fill(r.Path, w.firstPathValue)
		if s := w.get(t, path, w.query(p, &value)); s >= 500 {
			t.Fatalf("GET %s with %s=%q → %d", path, p, value, s)
		}
	})
}
