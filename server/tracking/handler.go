// Package tracking serves the public tracker endpoints that merchants' sites
// and affiliate links hit: the tracker script, click recording, the redirect
// link and the email (externalCid) link. These paths take untrusted input
// from anyone, so every field is capped and checked, and each answer is
// cheap: a click costs two cached lookups and a share of a batched
// transaction, whose one statement also finds repeats (no query per click).
package tracking

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversions"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Store is what the tracker endpoints need from storage.
type Store interface {
	ClickWriter
	Tenant(ctx context.Context, id string) (tracklane.Tenant, error)
	AffiliateByCode(ctx context.Context, tenantID, code string) (tracklane.Affiliate, error)
	AffiliateByLinkCode(ctx context.Context, code string) (tracklane.Affiliate, error)
}

// Conversions runs the use cases behind the conversion and email-link
// endpoints (conversions.Service): the handlers parse, call it and answer.
type Conversions interface {
	Report(ctx context.Context, in conversions.ReportInput) (conversions.ReportResult, error)
	LinkEmail(ctx context.Context, in conversions.LinkInput) (tracklane.Link, error)
}

// Config holds the tracker's settings.
type Config struct {
	VisitorSecret []byte  // key for the visitor hash (derived from SECRET_KEY)
	RateLimit     float64 // requests/s per IP; 0 = off
	// Authenticate resolves a personal token to its tenant: an email link
	// sent server-side with the tenant's token is trusted (no fraud
	// signals). nil: every link is treated as a browser's.
	Authenticate func(ctx context.Context, token string) (tenantID string, err error)
	Observer     Observer
}

// Observer counts the tracker's refusals for metrics (accepted clicks are
// counted where batches commit). Its methods must be cheap: they run on
// the click path. nil counts nothing.
type Observer interface {
	Bot()         // a click request from a crawler or previewer: nothing recorded
	RateLimited() // a request refused with 429
}

// noObserver counts nothing.
type noObserver struct{}

func (noObserver) Bot()         {}
func (noObserver) RateLimited() {}

// Handler serves the tracker endpoints.
type Handler struct {
	store    Store
	batcher  *Batcher
	log      *slog.Logger
	now      func() time.Time
	limiter  *ratelimit.Limiter
	visitors *visitorHasher
	networks *visitorHasher // of the visitor's network (networkHash)
	script   *script
	auth     func(ctx context.Context, token string) (string, error)
	observer Observer

	tenants    ttlCache[tracklane.Tenant]
	affiliates ttlCache[tracklane.Affiliate]
	links      ttlCache[tracklane.Affiliate] // by link code (/r/<code>)
	// noLinks remembers link codes that name no affiliate, for less time
	// than links (a code may be created meanwhile): a scanner requesting
	// one unknown code again and again reads the database once.
	noLinks ttlCache[struct{}]
	// watched: Watch keeps the caches true to the database; heard: the
	// notifications of changes are flowing. Watched but not heard, cached
	// entries live at most unheardTTL (see Watch).
	watched, heard atomic.Bool
	// browserConversions and trustedConversions bound the reported
	// conversions in progress, each kind on its own, so that a flood of
	// them cannot take the database from the clicks, and browsers' cannot
	// hold up the merchant's server's (conversionSlot).
	browserConversions, trustedConversions chan struct{}
	// conversions records reported conversions and email links.
	conversions Conversions
}

// New returns a Handler. convs serves the conversion and email-link
// endpoints; it may be nil only for a handler that is never asked them
// (tests and benchmarks of clicks and redirects).
func New(st Store, batcher *Batcher, cfg Config, convs Conversions, log *slog.Logger, now func() time.Time) (*Handler, error) {
	sc, err := loadScript()
	if err != nil {
		return nil, err
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	return &Handler{
		store: st, batcher: batcher, log: log, now: now, conversions: convs, script: sc, auth: cfg.Authenticate, observer: cfg.Observer,
		limiter:    ratelimit.New(cfg.RateLimit, now),
		visitors:   &visitorHasher{secret: cfg.VisitorSecret},
		networks:   newNetworkHasher(cfg.VisitorSecret),
		tenants:    newTTLCache[tracklane.Tenant](15 * time.Second),
		affiliates: newTTLCache[tracklane.Affiliate](15 * time.Second),
		links:      newTTLCache[tracklane.Affiliate](15 * time.Second),
		noLinks:    newTTLCache[struct{}](5 * time.Second),

		browserConversions: make(chan struct{}, browserConversionConcurrency),
		trustedConversions: make(chan struct{}, trustedConversionConcurrency),
	}, nil
}

// Register mounts the tracker routes.
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/tracking.js", h.handleScript)
	r.HEAD("/tracking.js", h.handleScript)
	for _, path := range []string{"/tracking/click/v1", "/tracking/external-cid/v1", "/tracking/conversion/v1"} {
		r.OPTIONS(path, h.handlePreflight)
	}
	r.POST("/tracking/click/v1", h.cors, h.rateLimit, h.handleClick)
	r.HEAD("/tracking/click/v1", h.cors, h.handleBotProbe)
	r.POST("/tracking/external-cid/v1", h.cors, h.rateLimit, h.handleExternalCID)
	r.POST("/tracking/conversion/v1", h.cors, h.rateLimit, h.handleConversion)
	// HEAD is limited like GET: link previewers and scanners send it, and
	// it costs the same look-up.
	r.GET("/r/:code", h.rateLimit, h.handleRedirect)
	r.HEAD("/r/:code", h.rateLimit, h.handleRedirect)
}

// cors opens the JSON endpoints to every origin: merchants' sites call them
// from the browser, and no cookie or credential of ours is involved.
func (h *Handler) cors(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Vary", "Origin")
}

func (h *Handler) handlePreflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Access-Control-Allow-Methods", "POST, OPTIONS")
	c.Header("Access-Control-Allow-Headers", "Content-Type")
	c.Header("Access-Control-Max-Age", "86400")
	c.Status(http.StatusNoContent)
}

// rateLimit answers 429 past the per-client limit; an IPv6 client is
// counted by its /64 (ratelimit.ClientKey).
func (h *Handler) rateLimit(c *gin.Context) {
	if !h.limiter.Allow(ratelimit.ClientKey(c.ClientIP())) {
		h.observer.RateLimited()
		c.Header("Retry-After", "1")
		respond.Errorf(c, apperr.RateLimited, "too many requests from this address; slow down")
	}
}

// handleBotProbe answers HEAD on the click endpoint: nobody but a bot sends
// it, and it records nothing.
func (h *Handler) handleBotProbe(c *gin.Context) {
	h.observer.Bot()
	c.Status(http.StatusNoContent)
}

// tenant returns a tenant by id through a short-lived cache.
func (h *Handler) tenant(ctx context.Context, id string) (tracklane.Tenant, error) {
	if t, ok := h.tenants.get(id); ok {
		return t, nil
	}
	gen := h.tenants.generation()
	t, err := h.store.Tenant(ctx, id)
	if err != nil {
		return tracklane.Tenant{}, err
	}
	h.tenants.put(id, t, gen, h.ttlBound())
	return t, nil
}

func (h *Handler) affiliate(ctx context.Context, tenantID, code string) (tracklane.Affiliate, error) {
	key := tenantID + "\x00" + code
	if a, ok := h.affiliates.get(key); ok {
		return a, nil
	}
	gen := h.affiliates.generation()
	a, err := h.store.AffiliateByCode(ctx, tenantID, code)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	h.affiliates.put(key, a, gen, h.ttlBound())
	return a, nil
}

// affiliateByLink returns the affiliate of a link code through a
// short-lived cache, like affiliate; a code that names none is remembered
// too, more briefly.
func (h *Handler) affiliateByLink(ctx context.Context, code string) (tracklane.Affiliate, error) {
	if a, ok := h.links.get(code); ok {
		return a, nil
	}
	if _, missing := h.noLinks.get(code); missing {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.NotFound, "no affiliate link %q", code)
	}
	gen, noGen := h.links.generation(), h.noLinks.generation()
	a, err := h.store.AffiliateByLinkCode(ctx, code)
	if apperr.Is(err, apperr.NotFound) {
		h.noLinks.put(code, struct{}{}, noGen, h.ttlBound())
	}
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	h.links.put(code, a, gen, h.ttlBound())
	return a, nil
}

// TrackerChanges is how the tracker hears of changes other processes make
// to the affiliates and tenants it caches (*store.Store).
type TrackerChanges interface {
	WatchTrackerChanges(ctx context.Context, changed func(), listening func(bool)) error
}

// unheardTTL bounds how long an entry stays cached while the notifications
// of changes are not flowing (before they start, or while their
// connection is lost): the changes still reach the click path within 1 s.
const unheardTTL = time.Second

// Watch keeps the tracker's caches true to the database until ctx ends
// (SPEC §14: an affiliate approved, suspended or re-activated takes effect
// on the click endpoints within 1 s, in every process). Each change heard
// drops every cached tenant and affiliate; changes are rare, and the next
// clicks read them again. While changes cannot be heard, entries live at
// most unheardTTL instead of their 15 s. A handler never watched keeps its
// entries the full time (tests, benchmarks).
func (h *Handler) Watch(ctx context.Context, changes TrackerChanges) error {
	h.watched.Store(true)
	return changes.WatchTrackerChanges(ctx, h.forget, func(on bool) {
		h.heard.Store(on)
		h.forget()
	})
}

// forget drops every cached tenant and affiliate, and whatever a look-up
// under way reads from before the drop.
func (h *Handler) forget() {
	h.tenants.clear()
	h.affiliates.clear()
	h.links.clear()
	h.noLinks.clear()
}

// ttlBound is the longest a new cache entry may live: no bound (0) while
// changes are heard or when nothing watches, unheardTTL otherwise.
func (h *Handler) ttlBound() time.Duration {
	if h.watched.Load() && !h.heard.Load() {
		return unheardTTL
	}
	return 0
}

// ttlCache is a small map whose entries expire; it keeps the click path off
// the database for tenants and affiliates that were just looked up.
type ttlCache[V any] struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]ttlEntry[V]
	// gen counts clears: a look-up that read the database before a clear
	// must not store what it read after it.
	gen uint64
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

func newTTLCache[V any](ttl time.Duration) ttlCache[V] {
	return ttlCache[V]{ttl: ttl, m: map[string]ttlEntry[V]{}}
}

func (c *ttlCache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.exp) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation is the cache's count of clears, to hand to put after a look-up.
func (c *ttlCache[V]) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores v under k for the cache's ttl, or bound if shorter (0: no
// bound), unless the cache was cleared since gen was read.
func (c *ttlCache[V]) put(k string, v V, gen uint64, bound time.Duration) {
	ttl := c.ttl
	if bound > 0 && bound < ttl {
		ttl = bound
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) > 10000 { // bounded: start over rather than grow
		c.m = map[string]ttlEntry[V]{}
	}
	c.m[k] = ttlEntry[V]{v: v, exp: time.Now().Add(ttl)}
}

// clear drops every entry.
func (c *ttlCache[V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[string]ttlEntry[V]{}
	c.gen++
}

// fail answers an error of a tracker endpoint. An internal failure (the
// database unreachable, say) is a 503: nothing was recorded, and the
// caller may simply try again.
func (h *Handler) fail(c *gin.Context, err error) {
	if apperr.CodeOf(err) == apperr.Internal {
		h.log.ErrorContext(c.Request.Context(), "tracker request failed", "path", c.FullPath(), "err", err)
		c.Header("Retry-After", "1")
		respond.Errorf(c, apperr.Unavailable, "temporarily unavailable; nothing was recorded, please retry")
		return
	}
	respond.Error(c, h.log, err)
}
