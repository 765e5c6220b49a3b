// Package metrics is Tracklane's Prometheus instrumentation: one registry,
// made here and passed to whoever counts (never the client library's
// global default registry), served by Handler on METRICS_ADDR only.
//
// Labels never carry a tenant's data: only fixed words (outcomes, modes,
// areas of the server) and HTTP status codes. The click path only adds to
// counters resolved once at start (no label lookups, no allocations).
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Store is what the scrape-time gauges read.
type Store interface {
	// OldestCheckSuccess is the earliest "last successful check" among
	// active connections (a connection never checked successfully counts
	// from when it was connected); ok is false when none is active.
	OldestCheckSuccess(ctx context.Context) (at time.Time, ok bool, err error)
}

// Metrics holds the registry and every instrument.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	clicksAccepted, clicksBot, clicksRateLimited prometheus.Counter
	batchSize                                    prometheus.Histogram
	batchCommit                                  prometheus.Histogram
	checks                                       *prometheus.CounterVec
	webhooks                                     *prometheus.CounterVec
	httpErrors                                   *prometheus.CounterVec
}

// New registers every instrument on a fresh registry: the Go runtime and
// process collectors, db's pool statistics, and the scrape-time age of the
// oldest connection's last successful check from st.
func New(db *sql.DB, st Store, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	reg := prometheus.NewRegistry()
	clicks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tracklane_clicks_total",
		Help: "Tracker click requests by outcome: accepted (answered with a committed click, new or repeat), bot (crawler or previewer, nothing recorded), rate_limited (429).",
	}, []string{"outcome"})
	m := &Metrics{
		reg: reg, now: now,
		clicksAccepted:    clicks.WithLabelValues("accepted"),
		clicksBot:         clicks.WithLabelValues("bot"),
		clicksRateLimited: clicks.WithLabelValues("rate_limited"),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tracklane_click_batch_size",
			Help:    "Clicks per committed batch (one record_clicks() call).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		batchCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tracklane_click_batch_commit_seconds",
			Help:    "Time to write and commit one batch of clicks.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracklane_stripe_checks_total",
			Help: "Checks of connected Stripe accounts by mode and outcome: ok, failed, refused (Stripe refused the key: 401/403; the account stays connected and is tried again).",
		}, []string{"mode", "outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracklane_stripe_webhooks_total",
			Help: "Stripe webhook deliveries by endpoint mode and outcome: applied, deferred, disconnected, stale_uninstall, not_connected, type_not_used, mode_mismatch, bad_request, unconfigured, retry_later.",
		}, []string{"mode", "outcome"}),
		httpErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracklane_http_errors_total",
			Help: "Error answers (status >= 400) by area of the server (api, tracking, stripe_app, stripe_webhook, dashboard, other) and status.",
		}, []string{"area", "status"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db, "tracklane"),
		clicks, m.batchSize, m.batchCommit, m.checks, m.webhooks, m.httpErrors,
		&checkAge{store: st, now: now},
	)
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Bot counts a click request from a crawler or previewer.
func (m *Metrics) Bot() { m.clicksBot.Inc() }

// RateLimited counts a tracker request refused with 429.
func (m *Metrics) RateLimited() { m.clicksRateLimited.Inc() }

// CheckDone counts a finished check of a connection.
func (m *Metrics) CheckDone(livemode bool, outcome string) {
	m.checks.WithLabelValues(modeName(livemode), outcome).Inc()
}

// WebhookDone counts a webhook delivery at the endpoint of a mode.
func (m *Metrics) WebhookDone(livemode bool, outcome string) {
	m.webhooks.WithLabelValues(modeName(livemode), outcome).Inc()
}

// HTTPError counts an error answer.
func (m *Metrics) HTTPError(area string, status int) {
	m.httpErrors.WithLabelValues(area, strconv.Itoa(status)).Inc()
}

func modeName(livemode bool) string {
	if livemode {
		return "live"
	}
	return "test"
}

// ClickWriter is the store's click writer (tracking.ClickWriter).
type ClickWriter interface {
	RecordClicks(ctx context.Context, shard int, clicks []tracklane.Click) ([]tracklane.Click, error)
}

// Clicks wraps the click writer the batcher uses, to time each batch's
// commit and count the clicks it accepted; the click handlers are untouched.
func (m *Metrics) Clicks(w ClickWriter) ClickWriter { return &timedWriter{w: w, m: m} }

type timedWriter struct {
	w ClickWriter
	m *Metrics
}

func (t *timedWriter) RecordClicks(ctx context.Context, shard int, clicks []tracklane.Click) ([]tracklane.Click, error) {
	start := time.Now()
	out, err := t.w.RecordClicks(ctx, shard, clicks)
	if err != nil {
		return out, err
	}
	t.m.batchCommit.Observe(time.Since(start).Seconds())
	t.m.batchSize.Observe(float64(len(clicks)))
	t.m.clicksAccepted.Add(float64(len(clicks)))
	return out, nil
}

// checkAge reports, at scrape time, how long ago the oldest active
// connection's last successful check finished: the figure to alert on
// when Stripe or the sync stalls.
type checkAge struct {
	store Store
	now   func() time.Time
}

var checkAgeDesc = prometheus.NewDesc("tracklane_stripe_oldest_check_success_age_seconds",
	"Seconds since the last successful check of the active connection checked longest ago (from its connection time if never checked successfully); absent with no active connection.",
	nil, nil)

func (c *checkAge) Describe(ch chan<- *prometheus.Desc) { ch <- checkAgeDesc }

func (c *checkAge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	at, ok, err := c.store.OldestCheckSuccess(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(checkAgeDesc, err)
		return
	}
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(checkAgeDesc, prometheus.GaugeValue, c.now().Sub(at).Seconds())
}

// Route serves h at GET /metrics and nothing else (404), for the
// METRICS_ADDR listener.
func Route(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}
