// Command dashbench measures the merchant dashboard's page times of the
// real server binary against a loaded dataset (by default database
// tracklane_bench_dash: 10M clicks and 200k conversions of one tenant,
// made by bench/datagen; it is read, never changed — the server applies
// its pending migrations on start).
//
// It builds the server (go build ./server) unless -bin is given, starts it
// on a free loopback port, signs in through the form (GET /login for the
// pre-login cookie and the csrf field, then POST /login), discovers the
// ids the pages need (the next-cursor link of /clicks, an affiliate of the
// filter menu, a conversion of /conversions), and then requests every page
// -warmup times unmeasured and -n times measured, one request at a time
// over one keep-alive connection, the pages interleaved round by round so
// that noise from the (shared, 2-CPU) machine falls on all of them alike.
//
// The figure is the time from sending the request to having read the
// whole body, over loopback (the server's time plus one loopback round
// trip). Two baselines from the same server are measured the same way in
// the same rounds: GET /healthz (gin, no template, one database round
// trip: a ping) and GET /static/app.css (no database at all). Each page's
// median is also given as a ratio of theirs. A Server-Timing header is read
// and reported when the server sends one (it does not today).
//
// With -portal (the default) it also times the affiliate portal's pages
// for the dataset's biggest affiliate (portal.go), in the same rounds.
//
// It prints a table and a JSON result (also written to -out).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
)

const (
	loginEmail    = "owner@dash.example"
	loginPassword = "correct horse battery"
)

// Page is one measured URL and its result.
type Page struct {
	Name     string  `json:"name"`
	Path     string  `json:"path"`
	TargetMs float64 `json:"target_ms,omitempty"` // the target for the median, 0: none
	Baseline bool    `json:"baseline,omitempty"`
	Portal   bool    `json:"portal,omitempty"` // an affiliate portal page (portal.go)

	Status   int     `json:"status"`
	Bytes    int64   `json:"body_bytes"`
	N        int     `json:"n"`
	MedianMs float64 `json:"median_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"` // meaningful from -n 100 on
	MinMs    float64 `json:"min_ms"`
	MaxMs    float64 `json:"max_ms"`
	// Time to the response headers (the server has rendered the page when
	// it flushes them, as templ renders into a buffer).
	HeadersMedianMs float64 `json:"headers_median_ms"`

	RatioHealthz float64 `json:"ratio_to_healthz"`    // median / /healthz median
	RatioStatic  float64 `json:"ratio_to_static_css"` // median / /static/app.css median
	Met          *bool   `json:"target_met,omitempty"`

	ServerTiming         string  `json:"server_timing,omitempty"` // the last answer's header, raw
	ServerTimingMedianMs float64 `json:"server_timing_median_ms,omitempty"`

	samples, headers, stDur []float64
}

// Result is the whole run.
type Result struct {
	Started     time.Time   `json:"started"`
	LoadAvg     string      `json:"load_average_at_start"`
	LoadAvgEnd  string      `json:"load_average_at_end"`
	CPUs        int         `json:"cpus"`
	Database    string      `json:"database"`
	Migration   string      `json:"schema_migration"`
	ClicksEst   int64       `json:"clicks_estimate"`
	ConvsEst    int64       `json:"conversions_estimate"`
	N           int         `json:"n"`
	Warmup      int         `json:"warmup"`
	Method      string      `json:"method"`
	Affiliate   string      `json:"filter_affiliate_id"`
	Conversion  string      `json:"detail_conversion_id"`
	Pages       []Page      `json:"pages"`
	Portal      *PortalInfo `json:"portal,omitempty"`
	Incomplete  string      `json:"incomplete,omitempty"`
	ElapsedSecs float64     `json:"elapsed_s"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("dashbench: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	dsn := flag.String("database-url", benchenv.DatabaseURL("tracklane_bench_dash"), "database with the dashboard dataset (bench/datagen)")
	n := flag.Int("n", 30, "measured requests per page")
	warm := flag.Int("warmup", 3, "unmeasured requests per page first")
	out := flag.String("out", "", "write the JSON result here too")
	bin := flag.String("bin", "", "server binary (default: go build ./server into a temp dir)")
	timeout := flag.Duration("timeout", 15*time.Minute, "bound on the whole run (build, start, measurement)")
	reqTimeout := flag.Duration("request-timeout", 30*time.Second, "bound on one request")
	portal := flag.Bool("portal", true, "also time the affiliate portal's pages for the biggest affiliate (portal.go)")
	flag.Parse()
	if *n < 1 {
		return errors.New("-n must be at least 1")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()

	res := Result{Started: began.UTC(), LoadAvg: benchenv.LoadAverage(), CPUs: runtime.NumCPU(), N: *n, Warmup: *warm,
		Method: "sequential requests over one keep-alive loopback connection, pages interleaved per round; time = request sent → whole body read"}
	if u, err := url.Parse(*dsn); err == nil {
		res.Database = strings.TrimPrefix(u.Path, "/")
	}

	tmp, err := os.MkdirTemp("", "dashbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *bin == "" {
		root, err := benchenv.ModuleRoot()
		if err != nil {
			return err
		}
		*bin = filepath.Join(tmp, "tracklane")
		log.Printf("building the server")
		bctx, bcancel := context.WithTimeout(ctx, 5*time.Minute)
		err = benchenv.Build(bctx, root, *bin)
		bcancel()
		if err != nil {
			return err
		}
	}
	if *bin, err = filepath.Abs(*bin); err != nil {
		return err
	}

	port, err := benchenv.FreePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(tmp, "server.log")
	log.Printf("starting the server on %s against %s (pending migrations apply now)", addr, res.Database)
	srv, err := benchenv.StartServer(ctx, *bin, benchenv.Env(*dsn, addr, nil), addr, logPath)
	if err != nil {
		return err
	}
	defer srv.Stop()
	describeDB(ctx, *dsn, &res)

	c := newClient("http://"+addr, *reqTimeout)
	if err := c.login(ctx); err != nil {
		return fmt.Errorf("logging in: %w (server log: %s)", err, tail(logPath))
	}
	pages, err := c.discover(ctx, &res)
	if err != nil {
		return err
	}
	var pc *client // the portal pages' client (portal.go)
	if *portal {
		base, info, stopPortal, err := startPortal(ctx, *dsn)
		if err != nil {
			return fmt.Errorf("portal pages: %w", err)
		}
		defer stopPortal()
		res.Portal = &info
		pc = newClient(base, *reqTimeout)
		more, err := portalPages(ctx, pc)
		if err != nil {
			return err
		}
		pages = append(pages, more...)
	}
	clientOf := func(p Page) *client {
		if p.Portal {
			return pc
		}
		return c
	}

	log.Printf("warming up (%d rounds)", *warm)
	for r := 0; r < *warm; r++ {
		for i := range pages {
			if _, err := clientOf(pages[i]).measure(ctx, &pages[i], false); err != nil {
				return err
			}
		}
	}
	log.Printf("measuring (%d rounds of %d pages)", *n, len(pages))
	for r := 0; r < *n && res.Incomplete == ""; r++ {
		for k := range pages {
			i := (k + r) % len(pages) // rotate the order: no page always follows the same one
			if _, err := clientOf(pages[i]).measure(ctx, &pages[i], true); err != nil {
				if ctx.Err() != nil {
					res.Incomplete = fmt.Sprintf("stopped after %d of %d rounds: %v", r, *n, ctx.Err())
					break
				}
				return err
			}
		}
	}

	summarize(pages)
	res.Pages = pages
	res.LoadAvgEnd = benchenv.LoadAverage()
	res.ElapsedSecs = math.Round(time.Since(began).Seconds()*10) / 10
	printTable(os.Stdout, &res)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	if *out != "" {
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if res.Incomplete != "" {
		return errors.New(res.Incomplete)
	}
	return nil
}

// describeDB notes the schema version and the table sizes (planner
// estimates: a count(*) of 10M rows would read the table).
func describeDB(ctx context.Context, dsn string, res *Result) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return
	}
	defer db.Close()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var v int64
	var dirty bool
	if db.QueryRowContext(qctx, `SELECT version, dirty FROM schema_migrations`).Scan(&v, &dirty) == nil {
		res.Migration = strconv.FormatInt(v, 10)
		if dirty {
			res.Migration += " (dirty)"
		}
	}
	db.QueryRowContext(qctx, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'clicks'::regclass`).Scan(&res.ClicksEst)
	db.QueryRowContext(qctx, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'conversions'::regclass`).Scan(&res.ConvsEst)
}

// client is one browser: a keep-alive connection and its cookies.
type client struct {
	base    string
	http    *http.Client
	cookies map[string]string
}

func newClient(base string, timeout time.Duration) *client {
	tr := &http.Transport{
		Proxy:               nil,
		DisableCompression:  true, // measure the bytes the server sends, as it sends them
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		IdleConnTimeout:     time.Minute,
	}
	return &client{
		base: base,
		http: &http.Client{Transport: tr, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		cookies: map[string]string{},
	}
}

// do sends one request with the client's cookies and reads the whole
// body; it returns the body (when keep is set), the time to the headers
// and the time to the end of the body.
func (c *client) do(ctx context.Context, method, path string, form url.Values, keep bool) (*http.Response, []byte, time.Duration, time.Duration, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	th := time.Since(t0)
	var b []byte
	if keep {
		b, err = io.ReadAll(resp.Body)
	} else {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.ContentLength = n
	}
	tb := time.Since(t0)
	resp.Body.Close()
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	if keep {
		resp.ContentLength = int64(len(b))
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp, b, th, tb, nil
}

var (
	csrfInput = regexp.MustCompile(`<input[^>]*name="csrf"[^>]*>`)
	valueAttr = regexp.MustCompile(`value="([^"]*)"`)
	olderLink = regexp.MustCompile(`href="(/clicks\?[^"]*after=[^"]*)"`)
	affOption = regexp.MustCompile(`<option value="([^"]+)"`)
	convLink  = regexp.MustCompile(`href="/conversions/([^"/?]+)"`)
)

// login signs in through the form, as a browser does.
func (c *client) login(ctx context.Context) error {
	resp, body, _, _, err := c.do(ctx, "GET", "/login", nil, true)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /login: %d", resp.StatusCode)
	}
	in := csrfInput.Find(body)
	if in == nil {
		return errors.New("GET /login: no csrf field")
	}
	m := valueAttr.FindSubmatch(in)
	if m == nil {
		return errors.New("GET /login: csrf field without a value")
	}
	form := url.Values{"csrf": {html.UnescapeString(string(m[1]))}, "email": {loginEmail}, "password": {loginPassword}}
	resp, body, _, _, err = c.do(ctx, "POST", "/login", form, true)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /login: %d, want 303: %.300s", resp.StatusCode, body)
	}
	resp, _, _, _, err = c.do(ctx, "GET", "/", nil, false)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET / after login: %d", resp.StatusCode)
	}
	return nil
}

// discover reads the ids the pages need from the pages themselves and
// returns the pages to measure, baselines first.
func (c *client) discover(ctx context.Context, res *Result) ([]Page, error) {
	get := func(path string) ([]byte, error) {
		resp, body, _, _, err := c.do(ctx, "GET", path, nil, true)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return body, nil
	}
	clicks, err := get("/clicks")
	if err != nil {
		return nil, err
	}
	m := olderLink.FindSubmatch(clicks)
	if m == nil {
		return nil, errors.New("/clicks has no \"Older\" link (fewer than a page of clicks in 30 days?)")
	}
	next := html.UnescapeString(string(m[1]))
	for _, o := range affOption.FindAllSubmatch(clicks, -1) {
		res.Affiliate = html.UnescapeString(string(o[1]))
		break
	}
	if res.Affiliate == "" {
		return nil, errors.New("/clicks has no affiliate in its filter menu")
	}
	convs, err := get("/conversions")
	if err != nil {
		return nil, err
	}
	cm := convLink.FindSubmatch(convs)
	if cm == nil {
		return nil, errors.New("/conversions links no conversion")
	}
	res.Conversion = string(cm[1])
	aff := url.QueryEscape(res.Affiliate)
	return []Page{
		{Name: "baseline /healthz", Path: "/healthz", Baseline: true},
		{Name: "baseline /static/app.css", Path: "/static/app.css", Baseline: true},
		{Name: "overview 7d", Path: "/?period=7d", TargetMs: 50},
		{Name: "overview 30d", Path: "/?period=30d", TargetMs: 50},
		{Name: "overview 90d", Path: "/?period=90d", TargetMs: 50},
		{Name: "clicks", Path: "/clicks", TargetMs: 20},
		{Name: "clicks page 2", Path: next, TargetMs: 20},
		{Name: "clicks by affiliate", Path: "/clicks?affiliate=" + aff, TargetMs: 20},
		{Name: "conversions", Path: "/conversions", TargetMs: 20},
		{Name: "conversions approved", Path: "/conversions?status=approved", TargetMs: 20},
		{Name: "conversions disputed", Path: "/conversions?status=disputed", TargetMs: 20},
		{Name: "conversions by affiliate", Path: "/conversions?affiliate=" + aff, TargetMs: 20},
		{Name: "conversion detail", Path: "/conversions/" + url.PathEscape(res.Conversion)},
		{Name: "affiliates", Path: "/affiliates", TargetMs: 50},
	}, nil
}

// measure requests p once; a page that does not answer 200 is an error.
func (c *client) measure(ctx context.Context, p *Page, record bool) (time.Duration, error) {
	resp, _, th, tb, err := c.do(ctx, "GET", p.Path, nil, false)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d", p.Path, resp.StatusCode)
	}
	p.Status, p.Bytes = resp.StatusCode, resp.ContentLength
	if st := resp.Header.Get("Server-Timing"); st != "" {
		p.ServerTiming = st
		if d, ok := serverTimingDur(st); ok && record {
			p.stDur = append(p.stDur, d)
		}
	}
	if record {
		p.samples = append(p.samples, ms(tb))
		p.headers = append(p.headers, ms(th))
	}
	return tb, nil
}

// serverTimingDur returns the largest dur= of a Server-Timing header (the
// total, when the server sends one besides its parts).
func serverTimingDur(h string) (float64, bool) {
	best, ok := 0.0, false
	for _, metric := range strings.Split(h, ",") {
		for _, param := range strings.Split(metric, ";") {
			if v, found := strings.CutPrefix(strings.TrimSpace(param), "dur="); found {
				if d, err := strconv.ParseFloat(strings.Trim(v, `"`), 64); err == nil && (!ok || d > best) {
					best, ok = d, true
				}
			}
		}
	}
	return best, ok
}

func summarize(pages []Page) {
	for i := range pages {
		p := &pages[i]
		p.N = len(p.samples)
		p.MedianMs, p.P90Ms, p.P99Ms = quantile(p.samples, 0.5), quantile(p.samples, 0.9), quantile(p.samples, 0.99)
		p.MinMs, p.MaxMs = quantile(p.samples, 0), quantile(p.samples, 1)
		p.HeadersMedianMs = quantile(p.headers, 0.5)
		p.ServerTimingMedianMs = quantile(p.stDur, 0.5)
	}
	hz, css := pages[0].MedianMs, pages[1].MedianMs
	for i := range pages {
		p := &pages[i]
		if hz > 0 {
			p.RatioHealthz = round(p.MedianMs/hz, 2)
		}
		if css > 0 {
			p.RatioStatic = round(p.MedianMs/css, 2)
		}
		if p.TargetMs > 0 && p.N > 0 {
			met := p.MedianMs <= p.TargetMs
			p.Met = &met
		}
	}
}

// quantile is the q-quantile of xs, linearly interpolated (q = 0.5: the
// median; 0 and 1: min and max); rounded to 0.01 ms.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return round(s[lo]+(s[hi]-s[lo])*(pos-float64(lo)), 2)
}

func printTable(w io.Writer, res *Result) {
	fmt.Fprintf(w, "\ndatabase %s (≈%d clicks, ≈%d conversions, migration %s), n=%d after %d warm-ups, load %s → %s, %d CPUs\n",
		res.Database, res.ClicksEst, res.ConvsEst, res.Migration, res.N, res.Warmup, res.LoadAvg, res.LoadAvgEnd, res.CPUs)
	fmt.Fprintf(w, "%-26s %8s %8s %8s %9s %10s %8s %7s  %s\n", "page", "median", "p90", "headers", "×healthz", "×app.css", "target", "met", "bytes")
	for _, p := range res.Pages {
		target, met := "—", "—"
		if p.TargetMs > 0 {
			target = fmt.Sprintf("≤%g", p.TargetMs)
		}
		if p.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*p.Met]
		}
		fmt.Fprintf(w, "%-26s %8.2f %8.2f %8.2f %9.2f %10.2f %8s %7s  %d\n",
			p.Name, p.MedianMs, p.P90Ms, p.HeadersMedianMs, p.RatioHealthz, p.RatioStatic, target, met, p.Bytes)
	}
	st := "no Server-Timing header on any page"
	for _, p := range res.Pages {
		if p.ServerTiming != "" {
			st = "Server-Timing seen (see JSON)"
		}
	}
	if res.Portal != nil {
		fmt.Fprintf(w, "portal pages: affiliate %s (%d clicks, %d conversions); %s\n", res.Portal.AffiliateID, res.Portal.Clicks,
			res.Portal.Conversions, res.Portal.Method)
	}
	fmt.Fprintf(w, "times in ms, request sent → whole body read over loopback; %s\n\n", st)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// tail returns the end of the server's log, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
