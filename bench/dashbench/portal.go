package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/portalpages"
	"github.com/tracklane/tracklane/server/store"
)

// The affiliate portal's pages are timed for the dataset's biggest
// affiliate (datagen's Partner 0: about 1M clicks and 20k conversions of
// 10M / 200k). The portal's doors (affiliate log-in, sessions) are another
// package, so the pages are served here by their own handler
// (portalpages.Handler, what the server mounts under /p/:slug) over a
// loopback HTTP server in this process, on the same database, with a Who
// that reads the tenant and the affiliate on every request as the portal's
// session middleware does (minus its one session lookup). The same client
// code times them, in the same interleaved rounds as the merchant pages.

// portalSlug is the slug in the measured URLs (links only: the viewer is
// fixed).
const portalSlug = "bench"

// PortalInfo says whom the portal pages were measured for.
type PortalInfo struct {
	TenantID    string `json:"tenant_id"`
	AffiliateID string `json:"affiliate_id"`
	Clicks      int64  `json:"affiliate_clicks"`
	Conversions int64  `json:"affiliate_conversions"`
	Method      string `json:"method"`
}

// startPortal serves the portal pages of the dataset's biggest affiliate
// on a free loopback port; stop ends the server and closes the store.
func startPortal(ctx context.Context, dsn string) (base string, info PortalInfo, stop func(), err error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, dsn, quiet)
	if err != nil {
		return "", info, nil, err
	}
	fail := func(err error) (string, PortalInfo, func(), error) {
		st.Close()
		return "", info, nil, err
	}
	db := st.DB()
	if err := db.QueryRowContext(ctx, `SELECT tenant_id FROM users WHERE email = $1`, loginEmail).Scan(&info.TenantID); err != nil {
		return fail(fmt.Errorf("finding the dataset's tenant: %w", err))
	}
	// The rollup names the biggest affiliate without reading its clicks.
	if err := db.QueryRowContext(ctx, `SELECT affiliate_id, sum(clicks) FROM affiliate_click_days WHERE tenant_id = $1
		GROUP BY 1 ORDER BY 2 DESC LIMIT 1`, info.TenantID).Scan(&info.AffiliateID, &info.Clicks); err != nil {
		return fail(fmt.Errorf("finding the biggest affiliate: %w", err))
	}
	if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(conversions), 0) FROM conversion_days WHERE tenant_id = $1 AND affiliate_id = $2`,
		info.TenantID, info.AffiliateID).Scan(&info.Conversions); err != nil {
		return fail(err)
	}
	info.Method = "portalpages handler in the benchmark process (loopback HTTP), Who reads tenant + affiliate per request"

	who := func(c *gin.Context) (portalpages.Viewer, bool) {
		t, err := st.Tenant(c.Request.Context(), info.TenantID)
		if err != nil {
			return portalpages.Viewer{}, false
		}
		a, err := st.Affiliate(c.Request.Context(), info.TenantID, info.AffiliateID)
		if err != nil {
			return portalpages.Viewer{}, false
		}
		return portalpages.Viewer{Tenant: t, Affiliate: a, CSRF: "bench"}, true
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	portalpages.New(portalpages.Deps{Store: st, Who: who, Log: quiet, PublicURL: "http://bench.example"}).
		Register(r.Group("/p/:slug"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		st.Close()
	}
	return "http://" + ln.Addr().String(), info, stop, nil
}

var portalOlder = regexp.MustCompile(`href="(/p/` + portalSlug + `/conversions\?after=[^"]*)"`)

// portalPages discovers the second page of conversions and returns the
// portal pages to measure (Home and Conversions have the 50 ms
// target).
func portalPages(ctx context.Context, pc *client) ([]Page, error) {
	resp, body, _, _, err := pc.do(ctx, "GET", "/p/"+portalSlug+"/conversions", nil, true)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("portal conversions: %d", resp.StatusCode)
	}
	m := portalOlder.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("the portal's conversions have no \"Older\" link (fewer than 50 conversions?)")
	}
	p := "/p/" + portalSlug
	return []Page{
		{Name: "portal home 7d", Path: p + "?period=7d", TargetMs: 50, Portal: true},
		{Name: "portal home 30d", Path: p + "?period=30d", TargetMs: 50, Portal: true},
		{Name: "portal home 90d", Path: p + "?period=90d", TargetMs: 50, Portal: true},
		{Name: "portal conversions", Path: p + "/conversions", TargetMs: 50, Portal: true},
		{Name: "portal conversions p2", Path: html.UnescapeString(string(m[1])), TargetMs: 50, Portal: true},
		{Name: "portal payouts", Path: p + "/payouts", Portal: true},
		{Name: "portal settings", Path: p + "/settings", Portal: true},
	}, nil
}
