package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/api"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/conversions"
	"github.com/tracklane/tracklane/server/dashboard"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/metrics"
	"github.com/tracklane/tracklane/server/portal"
	"github.com/tracklane/tracklane/server/portalpages"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/stripeapp"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracking"
	"github.com/tracklane/tracklane/server/web"
)

// clickWriters is the number of click batch writers: one per two cores.
// Each writer runs its batches one after another, and a batch's cost is
// mostly fixed per batch on the database side, so fewer writers mean
// bigger, cheaper batches. Measured on 2 cores at 256 connections (same
// minutes): 1 writer 18.2-19.8k clicks/s at p99 21-23 ms, 2 writers
// 17.6-20.9k at 24-30 ms, 4 writers 17.7-18.4k at 30-32 ms, 6 writers
// 15.9-16.4k at 35 ms. Writers never contend with each other (the batcher
// routes each visitor bucket to one writer).
func clickWriters() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// tuneGC sets the garbage collector for a server whose hot path (a click)
// allocates a few KB per request and keeps almost nothing: with Go's
// default GOGC=100 the small live heap (~10 MB) is collected many times a
// second under load. GOGC=400 measured 9% more clicks/s at 256 connections
// for an RSS of 62 MB instead of 37 MB; the soft memory limit makes the
// collector work harder before the heap grows past it, whatever the live
// heap. GOGC and GOMEMLIMIT in the environment win, as usual.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

// serve runs the HTTP server until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down in order: stop accepting, let in-flight requests finish, drain
// the click batcher, close the database.
func serve(ctx context.Context, env Env, log *slog.Logger) error {
	cfg, err := config.Load(env.Getenv, env.Dir, log)
	if err != nil {
		return err
	}
	if cfg.SecretGenerated {
		log.Warn("SECRET_KEY is unset; using the generated key in " + config.SecretFile + " (set SECRET_KEY in production)")
	}
	logStripe(cfg, log)
	tuneGC(env.Getenv)
	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("database ready, migrations applied", "database", cfg.DatabaseDisplay())

	srv, err := NewServer(cfg, st, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { defer close(bgDone); srv.Engine.Run(bgCtx) }()
	defer func() { stopBackground(); <-bgDone }()
	mailDone := make(chan struct{})
	go func() { defer close(mailDone); srv.Mail.Run(bgCtx) }()
	defer func() { stopBackground(); <-mailDone }()

	ln, err := listen("ADDR", cfg.Addr)
	if err != nil {
		return err
	}
	var mln net.Listener
	if srv.Metrics != nil {
		if mln, err = listen("METRICS_ADDR", cfg.MetricsAddr); err != nil {
			ln.Close()
			return err
		}
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // Check Now waits for a whole check
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 2)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)
	if mln != nil {
		metricsSrv := &http.Server{Handler: srv.Metrics, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
		go func() { errc <- metricsSrv.Serve(mln) }()
		defer metricsSrv.Close()
		log.Info("serving metrics", "addr", mln.Addr().String(), "path", "/metrics")
	}
	logDashboard(ctx, st, cfg.PublicURL, cfg.Signup, log)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown deadline passed", "err", err)
	}
	return nil
}

// logStripe says at start which Stripe parts are configured and what
// answers 503 or never runs without the others, so an operator sees a
// missing variable before a merchant does. Only whether each is set is
// logged, never a value.
func logStripe(cfg config.Config, log *slog.Logger) {
	set := func(v string) string {
		if v == "" {
			return "unset"
		}
		return "set"
	}
	secrets := func(list []string) string {
		if len(list) == 0 {
			return "unset"
		}
		return fmt.Sprintf("%d secret(s)", len(list))
	}
	log.Info("stripe configuration",
		"STRIPE_APP_SECRET", set(cfg.StripeAppSecret),
		"STRIPE_SECRET_KEY", set(cfg.StripeSecretKey), "STRIPE_TEST_SECRET_KEY", set(cfg.StripeTestSecretKey),
		"STRIPE_WEBHOOK_SECRET", secrets(cfg.StripeWebhookSecrets), "STRIPE_TEST_WEBHOOK_SECRET", secrets(cfg.StripeTestWebhookSecrets))
	if cfg.StripeAppSecret == "" {
		log.Warn("STRIPE_APP_SECRET is unset: the Stripe App's endpoints (/stripe-app/*) answer 503 and no merchant can connect")
	}
	if cfg.StripeSecretKey == "" && cfg.StripeTestSecretKey == "" {
		log.Warn("no Stripe key is set (STRIPE_SECRET_KEY, STRIPE_TEST_SECRET_KEY): connected accounts are never checked")
	}
	for _, w := range []struct {
		secrets    []string
		name, path string
	}{
		{cfg.StripeWebhookSecrets, "STRIPE_WEBHOOK_SECRET", "/stripe/webhook"},
		{cfg.StripeTestWebhookSecrets, "STRIPE_TEST_WEBHOOK_SECRET", "/stripe/webhook/test"},
	} {
		if len(w.secrets) == 0 {
			log.Info(w.name+" is unset: "+w.path+" answers 503; checks still run every SYNC_INTERVAL", "sync_interval", cfg.SyncInterval.String())
		}
	}
}

// ListenError is a listener that could not be opened: the variable that
// names the address, and why. It reads as one line for the operator.
type ListenError struct {
	Variable, Addr string
	Err            error
}

func (e *ListenError) Error() string {
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		return fmt.Sprintf("%s %s is already in use by another program; stop it or set %s to a free address", e.Variable, e.Addr, e.Variable)
	}
	return fmt.Sprintf("%s %s: cannot listen: %v", e.Variable, e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// listen opens the TCP listener for the address in variable.
func listen(variable, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &ListenError{Variable: variable, Addr: addr, Err: err}
	}
	return ln, nil
}

// logDashboard says where a person goes next: the sign-up page while the
// instance has no tenant, else the login page.
func logDashboard(ctx context.Context, st *store.Store, publicURL, signup string, log *slog.Logger) {
	exists, err := st.HasTenants(ctx)
	if err != nil {
		log.Warn("could not tell whether a tenant exists", "err", err)
		return
	}
	switch {
	case exists:
		log.Info("dashboard: log in at "+publicURL+"/login", "url", publicURL+"/login")
	case signup == config.SignupClosed:
		log.Info("dashboard: no tenant yet and SIGNUP=closed: create one with `tracklane tenant create`, then log in at "+publicURL+"/login", "url", publicURL+"/login")
	default:
		log.Info("dashboard: create the first tenant at "+publicURL+"/signup", "url", publicURL+"/signup")
	}
}

// Server is the wired application: its HTTP handler and what must be
// stopped after the listener is closed.
type Server struct {
	Handler http.Handler
	Engine  *stripesync.Engine // the Stripe checks; serve runs its loop
	Mail    *mail.Sender       // the outbox's sender; serve runs its loop
	// Metrics serves GET /metrics; nil unless METRICS_ADDR is set. serve
	// gives it its own listener, never the public one.
	Metrics http.Handler
	closers []func()
}

// Close stops background work (after the HTTP server has stopped).
func (s *Server) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// NewServer wires every feature on top of an open store. Tests use it to
// run the real application under httptest.
func NewServer(cfg config.Config, st *store.Store, log *slog.Logger) (*Server, error) {
	s := &Server{}
	// Metrics are counted only when they can be read (METRICS_ADDR).
	var (
		m        *metrics.Metrics
		clicks   tracking.ClickWriter = st
		trackObs tracking.Observer
		errObs   web.ErrorObserver
	)
	if cfg.MetricsAddr != "" {
		m = metrics.New(st.DB(), st, time.Now)
		s.Metrics = metrics.Route(m.Handler())
		clicks, trackObs, errObs = m.Clicks(st), m, m
	}
	var live, test *stripesync.Client
	if cfg.StripeSecretKey != "" {
		live = stripesync.NewClient(stripesync.ClientOptions{Key: cfg.StripeSecretKey, BaseURL: cfg.StripeAPIBase})
	}
	if cfg.StripeTestSecretKey != "" {
		test = stripesync.NewClient(stripesync.ClientOptions{Key: cfg.StripeTestSecretKey, BaseURL: cfg.StripeAPIBase})
	}
	s.Engine = stripesync.New(st, live, test, cfg.SyncInterval, log, time.Now)
	if m != nil {
		s.Engine.WithObserver(m)
	}

	mailSender, err := newMailSender(cfg, st, log)
	if err != nil {
		return nil, err
	}
	s.Mail = mailSender

	batcher := tracking.NewBatcher(clicks, log, clickWriters(), 256)
	s.closers = append(s.closers, batcher.Close)
	accounts := account.Service{Store: st, Log: log, PublicURL: cfg.PublicURL}
	convs := conversions.Service{Store: st, Notifier: s.Engine, Log: log, Now: time.Now, IDKey: cfg.Key("conversion-id")}
	tracker, err := tracking.New(st, batcher, tracking.Config{
		VisitorSecret: cfg.Key("visitor"), RateLimit: cfg.TrackingRateLimit, Authenticate: accounts.Authenticate,
		Observer: trackObs,
	}, convs, log, time.Now)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, watchTracker(tracker, st, log))
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	th := throttle.New(st, cfg.Key("throttle"), time.Now)
	engine, err := web.New(web.Options{TrustedProxies: proxies, Secure: cfg.Secure(), Log: log, DB: st, Errors: errObs},
		tracker,
		api.New(st, accounts, cfg.PublicURL, log),
		dashboard.New(dashboard.Deps{Store: st, Accounts: accounts, Conversions: convs, Config: cfg, Checker: s.Engine,
			Throttle: th, Log: log, Now: time.Now,
			MailConfigured: cfg.MailConfigured}),
		portal.New(portal.Deps{Store: st, Accounts: accounts, Config: cfg, AssetQuery: dashboard.AssetQuery(), VisitorHash: tracker.VisitorHash,
			Throttle: th, Log: log, Now: time.Now,
			Pages: portalpages.New(portalpages.Deps{
				Store: st, Who: portalViewer, ChangePassword: accounts.ChangeAffiliatePassword, SetPayoutEmail: accounts.SetOwnPayoutEmail,
				Recheck: signin.Recheck{Throttle: th, Key: "portal-password", Log: log},
				Log:     log, Now: time.Now, AssetQuery: dashboard.AssetQuery(), PublicURL: cfg.PublicURL,
			})}),
		stripesync.NewWebhookHandler(s.Engine, cfg.StripeWebhookSecrets, cfg.StripeTestWebhookSecrets, log),
		stripeapp.New(st, accounts, s.Engine, cfg.StripeAppSecret, log, time.Now),
	)
	if err != nil {
		return nil, err
	}
	s.Handler = engine
	return s, nil
}

// watchTracker keeps the tracker's caches true to the database in the
// background (tracking.Handler.Watch); the returned func stops it.
func watchTracker(tracker *tracking.Handler, st *store.Store, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := tracker.Watch(ctx, st); err != nil && ctx.Err() == nil {
			log.Error("the tracker no longer hears changes; its caches keep entries 1 s", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// portalViewer hands the portal's signed-in affiliate to the portal pages.
func portalViewer(c *gin.Context) (portalpages.Viewer, bool) {
	v, ok := portal.ViewerFrom(c)
	return portalpages.Viewer(v), ok
}
