// Command report writes bench/RESULTS.md from the files run.sh leaves in its
// output directory: click.json (clickbench), sync.json (syncbench),
// datagen.json (datagen), gobench.txt (go test -bench) and the pprof top
// listings click-profile.txt and sync-profile.txt. Every figure is given
// absolute and as a ratio against a baseline measured in the same run, next
// to the target.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type phase struct {
	Name        string           `json:"name"`
	Path        string           `json:"path"`
	Conns       int              `json:"conns"`
	Throughput  float64          `json:"throughput_per_s"`
	P50ms       float64          `json:"p50_ms"`
	P90ms       float64          `json:"p90_ms"`
	P99ms       float64          `json:"p99_ms"`
	P999ms      float64          `json:"p999_ms"`
	MaxMs       float64          `json:"max_ms"`
	Status      map[string]int64 `json:"status"`
	Errors      int64            `json:"transport_errors"`
	WindowS     float64          `json:"window_s"`
	Acked       int64            `json:"acked"`
	Rows        int64            `json:"rows"`
	RSSMaxMB    float64          `json:"rss_max_mb"`
	ServerCPU   float64          `json:"server_cpu_cores"`
	LoadgenCPU  float64          `json:"loadgen_cpu_cores"`
	MachineBusy float64          `json:"machine_busy_fraction"`
	Killed      bool             `json:"killed"`
	KillAfterS  float64          `json:"kill_after_s"`
}

type clickResult struct {
	Started   time.Time `json:"started"`
	LoadAvg   string    `json:"load_average_at_start"`
	CPUs      int       `json:"cpus"`
	Phases    []phase   `json:"phases"`
	RSSIdleMB float64   `json:"rss_idle_mb"`
}

type syncRun struct {
	Shape              string         `json:"shape"`
	Events             int            `json:"events"`
	Customers          int            `json:"customers"`
	LinkedCustomers    int            `json:"linked_customers"`
	CheckSeconds       float64        `json:"check_s"`
	EventsPerSecond    float64        `json:"events_per_s"`
	StripeCalls        int            `json:"stripe_calls"`
	CallsPer100        float64        `json:"calls_per_100_events"`
	CallsByRoute       map[string]int `json:"calls_by_route"`
	ListOnlySeconds    float64        `json:"baseline_list_only_s"`
	ListOnlyCalls      int            `json:"baseline_list_only_calls"`
	Ratio              float64        `json:"ratio_check_to_list_only"`
	StoreSeconds       float64        `json:"store_s"`
	ApplySeconds       float64        `json:"apply_events_s"`
	ApplyCalls         int            `json:"apply_events_calls"`
	LookupSeconds      float64        `json:"store_lookups_s"`
	Lookups            int            `json:"store_lookups"`
	ConversionsCreated int            `json:"conversions_created"`
	Conversions        int64          `json:"conversions_in_db"`
	RecheckCalls       int            `json:"recheck_calls"`
	RecheckSeconds     float64        `json:"recheck_s"`
	Unexpected         int            `json:"unexpected_calls"`
	Steady             *struct {
		Hours         int            `json:"hours"`
		EventsPerHour int            `json:"events_per_hour"`
		Events        int            `json:"events"`
		StripeCalls   int            `json:"stripe_calls"`
		CallsPer100   float64        `json:"calls_per_100_events"`
		CallsByRoute  map[string]int `json:"calls_by_route"`
		WebhookCalls  int            `json:"webhook_calls"`
		Deferred      int            `json:"webhooks_deferred"`
		WebhookS      float64        `json:"webhook_s"`
		ChecksS       float64        `json:"checks_s"`
	} `json:"steady_state"`
}

type syncResult struct {
	LoadAvg string    `json:"load_average"`
	Runs    []syncRun `json:"runs"`
}

type datagenResult struct {
	Database       string             `json:"database"`
	Clicks         int64              `json:"clicks"`
	Conversions    int64              `json:"conversions"`
	AlreadyLoaded  bool               `json:"already_loaded"`
	Seconds        map[string]float64 `json:"seconds"`
	TotalSeconds   float64            `json:"total_s"`
	ClicksPerSec   float64            `json:"click_copy_rows_per_s"`
	DatabaseSizeMB float64            `json:"database_size_mb"`
	Login          string             `json:"login"`
}

func main() {
	dir := flag.String("dir", "bench/out", "directory with the run's outputs")
	outPath := flag.String("o", "bench/RESULTS.md", "markdown to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("report: ")

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	env := readText(*dir, "env.txt")

	w("# Tracklane performance results\n\n")
	w("Written by `bash bench/run.sh` on %s. Every figure below comes from that one run.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	w("Machine: %d CPUs shared by the server, PostgreSQL and the load generator (loopback only). ", runtime.NumCPU())
	w("%s\n\n", strings.TrimSpace(env))

	var click clickResult
	haveClick := readJSON(*dir, "click.json", &click)
	var syn syncResult
	haveSync := readJSON(*dir, "sync.json", &syn)
	var dg datagenResult
	haveDG := readJSON(*dir, "datagen.json", &dg)

	byName := map[string]phase{}
	for _, p := range click.Phases {
		byName[p.Name] = p
	}
	noop, clk, red, kill := byName["noop"], byName["click"], byName["redirect"], byName["kill"]
	ratio := func(x, base float64) float64 {
		if base == 0 {
			return 0
		}
		return x / base
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}

	w("## Summary against the issue's targets\n\n")
	w("| # | target | measured | baseline (same run) | ratio | verdict |\n|---|---|---|---|---|---|\n")
	if haveClick {
		w("| 1 | clicks ≥ 20,000/s at %d connections | %.0f clicks/s | no-op (`GET /tracking.js`, 304): %.0f req/s | %.3f× no-op (target ≥ 0.6×); %.4f× of 20,000/s | %s |\n",
			clk.Conns, clk.Throughput, noop.Throughput, ratio(clk.Throughput, noop.Throughput), clk.Throughput/20000,
			verdict(clk.Throughput >= 20000 && ratio(clk.Throughput, noop.Throughput) >= 0.6))
		w("| 1 | click p99 ≤ 25 ms | p99 %.1f ms (p50 %.1f) | no-op p99 %.1f ms | %.1f× no-op p99; %.1f× the 25 ms budget | %s |\n",
			clk.P99ms, clk.P50ms, noop.P99ms, ratio(clk.P99ms, noop.P99ms), clk.P99ms/25, verdict(clk.P99ms <= 25))
		w("| 1 | `/r/<code>` (same targets) | %.0f clicks/s, p99 %.1f ms | no-op %.0f req/s | %.3f× no-op | %s |\n",
			red.Throughput, red.P99ms, noop.Throughput, ratio(red.Throughput, noop.Throughput),
			verdict(red.Throughput >= 20000 && red.P99ms <= 25 && ratio(red.Throughput, noop.Throughput) >= 0.6))
		cleanOK := clk.Rows == clk.Acked && red.Rows == red.Acked
		w("| 1 | rows = acknowledged clicks | click: %d rows / %d 200s; redirect: %d rows / %d 302s | — | %s | %s |\n",
			clk.Rows, clk.Acked, red.Rows, red.Acked, ratioStr(clk.Rows, clk.Acked), verdict(cleanOK))
		killOK := kill.Rows >= kill.Acked && kill.Rows <= kill.Acked+int64(kill.Conns)
		w("| 1 | …even after SIGKILL mid-run | %d rows / %d 200s (SIGKILL at %.0f s) | — | %s | %s (no acknowledged click lost; %d committed whose answer died with the process) |\n",
			kill.Rows, kill.Acked, kill.KillAfterS, ratioStr(kill.Rows, kill.Acked), verdict(killOK), kill.Rows-kill.Acked)
	}
	if haveSync {
		for _, r := range syn.Runs {
			if strings.HasPrefix(r.Shape, "2023") {
				w("| 2 | %d events applied in ≤ 5 s (2023-10-16 shape) | %.1f s (%.0f events/s) | list-only read of the same events: %.2f s | %.1f× list-only; %.1f× the 5 s budget | %s |\n",
					r.Events, r.CheckSeconds, r.EventsPerSecond, r.ListOnlySeconds, r.Ratio, r.CheckSeconds/5, verdict(r.CheckSeconds <= 5))
				w("| 2 | ≤ 1.2 Stripe calls per 100 events | %.2f per 100 (%d calls) | list-only: %d calls | %.2f× list-only | %s |\n",
					r.CallsPer100, r.StripeCalls, r.ListOnlyCalls, ratio(float64(r.StripeCalls), float64(r.ListOnlyCalls)), verdict(r.CallsPer100 <= 1.2))
			} else {
				w("| 2 | newer shape (%s): ≤ 1.5 Stripe calls per 100 events | %d calls = %.2f per 100 events; %.1f s | list-only: %d calls, %.2f s | %.2f× list-only calls | %s |\n",
					r.Shape, r.StripeCalls, r.CallsPer100, r.CheckSeconds, r.ListOnlyCalls, r.ListOnlySeconds, ratio(float64(r.StripeCalls), float64(r.ListOnlyCalls)),
					verdict(r.CallsPer100 <= 1.5))
			}
			if st := r.Steady; st != nil {
				limit := 1.2
				if !strings.HasPrefix(r.Shape, "2023") {
					limit = 1.5
				}
				w("| 2 | steady state (%s): webhooks on, a check each hour; ≤ %.1f calls per 100 events | %.2f per 100 (%d calls for %d events, %d h × %d) | list-only floor: %d list calls | %.2f× the floor | %s |\n",
					r.Shape, limit, st.CallsPer100, st.StripeCalls, st.Events, st.Hours, st.EventsPerHour, st.CallsByRoute["/v1/events"],
					ratio(float64(st.StripeCalls), float64(st.CallsByRoute["/v1/events"])), verdict(st.CallsPer100 <= limit))
			}
		}
	}
	if haveClick {
		maxRSS := 0.0
		for _, p := range click.Phases {
			if p.RSSMaxMB > maxRSS {
				maxRSS = p.RSSMaxMB
			}
		}
		w("| 4 | server RSS < 150 MB during the click benchmark | max %.1f MB (click phase %.1f MB) | idle server: %.1f MB | %.2f× idle; %.2f× the 150 MB budget | %s |\n",
			maxRSS, clk.RSSMaxMB, click.RSSIdleMB, ratio(maxRSS, click.RSSIdleMB), maxRSS/150, verdict(maxRSS < 150))
	}
	payoutRow, payoutSection := payoutReport(*dir)
	w("%s", payoutRow)
	if haveDG && dg.AlreadyLoaded {
		w("| 3 | dashboard dataset | %d clicks + %d conversions (already loaded; checked in %.0f s) | — | — | page times in section 3 |\n",
			dg.Clicks, dg.Conversions, dg.TotalSeconds)
	} else if haveDG {
		w("| 3 | dashboard dataset generator | %d clicks + %d conversions in %.0f s (clicks COPY %.0f rows/s) | — | — | page times in section 3 |\n",
			dg.Clicks, dg.Conversions, dg.TotalSeconds, dg.ClicksPerSec)
	}
	w("\n")

	if haveClick {
		w("## 1. Clicks (real server binary, separate process, fresh database)\n\n")
		w("Load generator: `bench/internal/loadgen`, closed loop, %d keep-alive connections, each request with its own user agent; %s. ",
			clk.Conns, "`TRACKING_RATE_LIMIT=0`")
		w("Each phase: warm-up, then a measured window; the generator stops sending at the end and waits for every answer in flight, so the acknowledged count is exact. ")
		w("Load average at start: %s.\n\n", click.LoadAvg)
		w("| phase | request | req/s | ratio to no-op | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | answers | transport errors | acked | rows written | server RSS max MB | server CPU cores | load-gen CPU cores | machine busy |\n")
		w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range click.Phases {
			w("| %s | %s | %.0f | %.3f | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %d | %d | %s | %.1f | %.2f | %.2f | %.0f%% |\n",
				p.Name, p.Path, p.Throughput, ratio(p.Throughput, noop.Throughput), p.P50ms, p.P90ms, p.P99ms, p.P999ms, p.MaxMs,
				statusStr(p.Status), p.Errors, p.Acked, rowsStr(p), p.RSSMaxMB, p.ServerCPU, p.LoadgenCPU, p.MachineBusy*100)
		}
		for _, p := range click.Phases {
			if p.Name == "conversion" {
				w("\n`conversion` is `POST /tracking/conversion/v1` (SPEC section 11): every request a new `sale` of 4.50 on a click id, with its own `externalId`; the endpoint handles at most 2 at a time per process. ")
				w("`clickconv` is the click phase again while conversions arrive on 4 more connections: its ratio to `click` is what reported conversions cost the click path. ")
			}
		}
		w("\n`noop2` repeats the baseline after the click phases, to show how much the machine itself drifted during the run. ")
		w("In the `kill` phase the server is SIGKILLed mid-run: transport errors are the requests cut off by the kill, and rows − acked are clicks whose batch committed while their answers died with the process (never more than the connections in flight). Its server CPU is not measurable after the kill.\n\n")
	}

	if haveSync {
		w("## 2. Stripe sync (first check of a new connection, backlog in the fake Stripe over loopback HTTP)\n\n")
		w("Load average: %s.\n\n", syn.LoadAvg)
		w("| shape | events | customers (linked) | check s | events/s | Stripe calls | per 100 events | calls by route | list-only baseline s (calls) | ratio | store s (ApplyEvents / lookups) | conversions created | recheck calls (s) |\n")
		w("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range syn.Runs {
			w("| %s | %d | %d (%d) | %.2f | %.0f | %d | %.2f | %s | %.2f (%d) | %.1f× | %.2f (%.2f in %d calls / %.2f in %d) | %d | %d (%.2f) |\n",
				r.Shape, r.Events, r.Customers, r.LinkedCustomers, r.CheckSeconds, r.EventsPerSecond, r.StripeCalls, r.CallsPer100,
				routes(r.CallsByRoute), r.ListOnlySeconds, r.ListOnlyCalls, r.Ratio, r.StoreSeconds, r.ApplySeconds, r.ApplyCalls,
				r.LookupSeconds, r.Lookups, r.ConversionsCreated, r.RecheckCalls, r.RecheckSeconds)
		}
		w("\nThe baseline reads the same events with a plain stripe-go client (decoding each payload) and nothing else: the ratio is what interpreting and storing costs on top of reading Stripe.\n\n")
		w("Steady state (after the first check: each hour's events pushed to the webhook as they happen, then the hourly check; every Stripe call of both counted):\n\n")
		w("| shape | hours × events | Stripe calls | per 100 events | calls by route | webhooks left to the check | webhooks s | checks s |\n|---|---|---|---|---|---|---|---|\n")
		for _, r := range syn.Runs {
			if st := r.Steady; st != nil {
				w("| %s | %d × %d | %d | %.2f | %s | %d | %.1f | %.1f |\n", r.Shape, st.Hours, st.EventsPerHour, st.StripeCalls, st.CallsPer100,
					routes(st.CallsByRoute), st.Deferred, st.WebhookS, st.ChecksS)
			}
		}
		w("\n")
	}

	if haveDG {
		w("## 3. Dashboard dataset and page times\n\n")
		w("`go run ./bench/datagen` into database `%s`: %d clicks, %d conversions (with their links and history), %.0f MB. ", dg.Database, dg.Clicks, dg.Conversions, dg.DatabaseSizeMB)
		if dg.AlreadyLoaded {
			w("It was already loaded: the run only checked it (%.1f s).\n\n", dg.TotalSeconds)
		} else {
			w("Loaded in %.1f s:\n\n| step | s |\n|---|---|\n", dg.TotalSeconds)
			for _, k := range []string{"fresh database", "tenant and affiliates", "copy clicks", "copy conversions", "payouts", "rebuild click indexes", "rebuild rollups", "vacuum analyze"} {
				w("| %s | %.1f |\n", k, dg.Seconds[k])
			}
			w("\n")
		}
		w("Dashboard login: `%s`.\n\n", dg.Login)
	}
	if t := readText(*dir, "dash.txt"); t != "" {
		w("Page times (`bench/dashbench`: the real server on that dataset, logged in through the form; each page 20 times after 3 warm-ups, median and p90, with two same-run baselines):\n\n```\n%s\n```\n\n", strings.TrimSpace(t))
		if strings.Contains(t, "portal pages:") {
			w("The `portal …` rows are the affiliate portal's pages for the dataset's biggest affiliate (datagen's Partner 0), served by the `portalpages` handler inside dashbench on the same database (the portal's log-in is not part of this measurement); the issue's target is 50 ms for Home and Conversions.\n\n")
		}
	}

	w("%s", payoutSection)
	if t := readText(*dir, "gobench.txt"); t != "" {
		w("## Go benchmarks (hot paths, `go test -bench`, allocations reported)\n\n```\n%s\n```\n\n", strings.TrimSpace(t))
	}
	if t := readText(*dir, "click-profile.txt"); t != "" {
		w("## CPU profile of the server under click load (`clickbench profserve`: top by own time, then by cumulative time)\n\n```\n%s\n```\n\n", strings.TrimSpace(t))
	}
	if t := readText(*dir, "sync-profile.txt"); t != "" {
		w("## CPU profile of the sync check, 2023-10-16 shape (top by own time, then by cumulative time)\n\n```\n%s\n```\n\n", strings.TrimSpace(t))
	}
	if t := readText(*dir, "notes.md"); t != "" {
		w("%s\n", strings.TrimSpace(t))
	}
	w("What these numbers mean, the top costs and the recommended changes: see `bench/README.md`.\n")
	if err := os.WriteFile(*outPath, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *outPath)
}

func readJSON(dir, name string, v any) bool {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		log.Printf("%s: %v", name, err)
		return false
	}
	return true
}

func readText(dir, name string) string {
	b, _ := os.ReadFile(filepath.Join(dir, name))
	return string(b)
}

func statusStr(m map[string]int64) string {
	var parts []string
	for _, k := range []string{"200", "204", "302", "304", "404", "429", "500", "503"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s×%d", k, v))
		}
	}
	for k, v := range m {
		if !strings.Contains("200 204 302 304 404 429 500 503", k) {
			parts = append(parts, fmt.Sprintf("%s×%d", k, v))
		}
	}
	return strings.Join(parts, " ")
}

func rowsStr(p phase) string {
	if p.Name == "noop" || p.Name == "noop2" {
		return "—"
	}
	return fmt.Sprint(p.Rows)
}

func ratioStr(rows, acked int64) string {
	if acked == 0 {
		return "—"
	}
	return fmt.Sprintf("%.4f", float64(rows)/float64(acked))
}

func routes(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("`%s` %d", k, v))
	}
	return strings.Join(parts, ", ")
}
