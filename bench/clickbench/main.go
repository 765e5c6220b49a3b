// Command clickbench measures the click endpoints of the real server
// binary, run as a separate process against a fresh database:
//
//   - noop: GET /tracking.js with If-None-Match (a 304 from the same server,
//     no database): the baseline the click figures are a ratio of;
//   - click: POST /tracking/click/v1, a distinct user agent per request;
//   - redirect: GET /r/<code>, a distinct user agent per request;
//   - kill: click load, SIGKILL of the server mid-run, then the rows in the
//     database against the 200s the load generator received;
//   - conversion (only when named in -phases): POST /tracking/conversion/v1
//     as the tracker sends it, with one click's id and a distinct
//     externalId per request, so each is a new conversion row;
//   - clickconv (only when named): the click phase while conversions
//     arrive on conns/8 more connections.
//
// After each click phase it compares the rows in clicks with the
// acknowledged answers, and it samples the server's RSS throughout. With
// -profile it also runs the same server wiring in a child process with a
// CPU profile (clickbench profserve) under click load. It prints a JSON
// result (and writes it to -out).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
	"github.com/tracklane/tracklane/bench/internal/loadgen"
)

// Phase is one measured load.
type Phase struct {
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
	FirstError  string           `json:"first_error,omitempty"`
	WindowS     float64          `json:"window_s"`
	Acked       int64            `json:"acked"`                  // success answers, whole phase
	Rows        int64            `json:"rows"`                   // clicks written during the phase
	RSSMaxMB    float64          `json:"rss_max_mb"`             // server, during the phase
	ServerCPU   float64          `json:"server_cpu_cores"`       // average cores used by the server
	LoadgenCPU  float64          `json:"loadgen_cpu_cores"`      // by this process
	MachineBusy float64          `json:"machine_busy_fraction"`  // all CPUs
	Killed      bool             `json:"killed,omitempty"`       // SIGKILL mid-run
	KillAfterS  float64          `json:"kill_after_s,omitempty"` //
}

// Result is the whole run.
type Result struct {
	Started     time.Time `json:"started"`
	LoadAvg     string    `json:"load_average_at_start"`
	CPUs        int       `json:"cpus"`
	Phases      []Phase   `json:"phases"`
	RSSIdleMB   float64   `json:"rss_idle_mb"`
	ProfilePath string    `json:"profile,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "profserve" {
		profserve()
		return
	}
	bin := flag.String("bin", "", "server binary (default: go build ./server into a temp dir)")
	dbName := flag.String("db", "tracklane_bench_click", "database to (re)create")
	conns := flag.Int("conns", 256, "concurrent connections")
	warm := flag.Duration("warmup", 2*time.Second, "warm-up per phase (not measured)")
	dur := flag.Duration("duration", 10*time.Second, "measured window per phase")
	out := flag.String("out", "", "write the JSON result here too")
	profile := flag.String("profile", "", "also profile the server wiring under click load; write the CPU profile here")
	keep := flag.Bool("keep-db", false, "keep the database afterwards")
	only := flag.String("phases", "noop,click,redirect,noop2,kill", "phases to run, in this order")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("clickbench: ")

	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "clickbench")
	check(err)
	defer os.RemoveAll(tmp)
	if *bin == "" {
		root, err := benchenv.ModuleRoot()
		check(err)
		*bin = filepath.Join(tmp, "tracklane")
		log.Printf("building the server")
		check(benchenv.Build(ctx, root, *bin))
	}
	if *bin, err = filepath.Abs(*bin); err != nil {
		log.Fatal(err)
	}
	dsn, err := benchenv.FreshDatabase(ctx, *dbName)
	check(err)
	if !*keep {
		defer benchenv.DropDatabase(context.Background(), *dbName)
	}
	port, err := benchenv.FreePort()
	check(err)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := benchenv.Env(dsn, addr, nil)
	prov, err := benchenv.Provision(ctx, *bin, env, "bench-aff")
	check(err)

	res := Result{Started: time.Now().UTC(), LoadAvg: benchenv.LoadAverage(), CPUs: numCPU()}
	srv, err := benchenv.StartServer(ctx, *bin, env, addr, filepath.Join(tmp, "server.log"))
	check(err)
	rss := benchenv.SampleRSS(srv.Pid(), 100*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	idle, _ := rss.Max()
	res.RSSIdleMB = mb(idle)
	etag := scriptETag(addr)

	clickBody := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/pricing?utm_source=newsletter&utm_campaign=spring","referrer":"https://blog.example/post/42","cid":""}`,
		prov.TenantID, prov.Code)
	seq := 0
	phase := func(name, path string, req func([]byte, int, int) []byte, success int, countRows bool, killAfter time.Duration) Phase {
		var before int64
		rowsQuery := `SELECT count(*) FROM clicks`
		if name == "conversion" {
			rowsQuery = `SELECT count(*) FROM conversions`
		}
		if countRows {
			before, err = benchenv.CountRows(ctx, dsn, rowsQuery)
			check(err)
		}
		rss.Reset()
		cpu0, _ := benchenv.CPUTime(srv.Pid())
		self0, _ := benchenv.CPUTime(os.Getpid())
		busy0, total0 := benchenv.MachineCPU()
		t0 := time.Now()
		stop := &loadgen.Stopper{}
		if killAfter > 0 {
			go func() {
				time.Sleep(killAfter)
				srv.Kill()
				time.Sleep(200 * time.Millisecond) // let the workers see the dead connections
				stop.Stop()
			}()
		}
		r := loadgen.Run(loadgen.Options{Addr: addr, Conns: *conns, Warmup: *warm, Measure: *dur, Request: req}, stop)
		wall := time.Since(t0)
		cpu1, cerr := benchenv.CPUTime(srv.Pid())
		self1, _ := benchenv.CPUTime(os.Getpid())
		busy1, total1 := benchenv.MachineCPU()
		maxRSS, _ := rss.Max()
		p := Phase{
			Name: name, Path: path, Conns: *conns, Throughput: r.Throughput,
			P50ms: ms(r.LatencyP50), P90ms: ms(r.LatencyP90), P99ms: ms(r.LatencyP99), P999ms: ms(r.LatencyP999), MaxMs: ms(r.LatencyMax),
			Status: map[string]int64{}, Errors: r.Errors, FirstError: r.FirstError, WindowS: r.Window.Seconds(),
			Acked: r.Status[success], RSSMaxMB: mb(maxRSS), LoadgenCPU: (self1 - self0).Seconds() / wall.Seconds(),
		}
		if cerr == nil {
			p.ServerCPU = (cpu1 - cpu0).Seconds() / wall.Seconds()
		}
		if total1 > total0 {
			p.MachineBusy = float64(busy1-busy0) / float64(total1-total0)
		}
		for k, v := range r.Status {
			p.Status[strconv.Itoa(k)] = v
		}
		if killAfter > 0 {
			p.Killed, p.KillAfterS = true, killAfter.Seconds()
		}
		if countRows {
			after, err := benchenv.CountRows(ctx, dsn, rowsQuery)
			check(err)
			p.Rows = after - before
		}
		log.Printf("%-8s %8.0f/s p50 %6.1f ms p99 %7.1f ms  acked %d rows %d  rss %.0f MB  server %.2f cores  [%s] errors %d %s",
			name, p.Throughput, p.P50ms, p.P99ms, p.Acked, p.Rows, p.RSSMaxMB, p.ServerCPU, r.StatusSummary(), r.Errors, r.FirstError)
		return p
	}

	noopReq := func(buf []byte, w, n int) []byte {
		return fmt.Appendf(buf, "GET /tracking.js HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Bench/1.0 w%d-n%d\r\nIf-None-Match: %s\r\nAccept-Encoding: gzip\r\n\r\n",
			addr, w, n, etag)
	}
	clickReq := func(tag string) func([]byte, int, int) []byte {
		return func(buf []byte, w, n int) []byte {
			return fmt.Appendf(buf, "POST /tracking/click/v1 HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Bench/1.0 %s%d-w%d-n%d\r\nContent-Type: text/plain;charset=UTF-8\r\nOrigin: https://shop.example\r\nContent-Length: %d\r\n\r\n%s",
				addr, tag, seq, w, n, len(clickBody), clickBody)
		}
	}
	redirectReq := func(buf []byte, w, n int) []byte {
		return fmt.Appendf(buf, "GET /r/%s?utm_source=bench HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Bench/1.0 r%d-w%d-n%d\r\nReferer: https://blog.example/post/42\r\n\r\n",
			prov.Code, addr, seq, w, n)
	}

	phases := map[string]func() Phase{
		"noop": func() Phase {
			return phase("noop", "GET /tracking.js (304)", noopReq, http.StatusNotModified, false, 0)
		},
		"click":    func() Phase { return phase("click", "POST /tracking/click/v1", clickReq("c"), http.StatusOK, true, 0) },
		"redirect": func() Phase { return phase("redirect", "GET /r/<code>", redirectReq, http.StatusFound, true, 0) },
		"noop2": func() Phase {
			return phase("noop2", "GET /tracking.js (304), after the click phases", noopReq, http.StatusNotModified, false, 0)
		},
		"conversion": func() Phase {
			return phase("conversion", "POST /tracking/conversion/v1", conversionReq(addr, prov.TenantID, firstClick(addr, clickBody), &seq), http.StatusOK, true, 0)
		},
		// Clicks while conversions arrive on conns/8 other connections: what
		// the conversion endpoint costs the click path.
		"clickconv": func() Phase {
			stop := &loadgen.Stopper{}
			done := make(chan struct{})
			req := conversionReq(addr, prov.TenantID, firstClick(addr, clickBody), &seq)
			var bg loadgen.Result
			go func() {
				defer close(done)
				bg = loadgen.Run(loadgen.Options{Addr: addr, Conns: max(1, *conns/8), Warmup: 0, Measure: time.Hour, Request: req}, stop)
			}()
			p := phase("clickconv", "POST /tracking/click/v1 while conversions arrive", clickReq("cc"), http.StatusOK, true, 0)
			stop.Stop()
			<-done
			log.Printf("clickconv: alongside, %.0f conversions/s [%s]", bg.Throughput, bg.StatusSummary())
			return p
		},
		"kill": func() Phase {
			return phase("kill", "POST /tracking/click/v1, SIGKILL mid-run", clickReq("k"), http.StatusOK, true, *warm+*dur/2)
		},
	}
	killed := false
	for i, name := range strings.Split(*only, ",") {
		seq = i // a phase run twice must not repeat the first run's user agents
		f, ok := phases[name]
		if !ok || killed {
			log.Fatalf("unknown phase %q (or a phase after kill)", name)
		}
		res.Phases = append(res.Phases, f())
		killed = name == "kill"
	}
	if !killed {
		srv.Stop()
	}
	rss.Stop()

	if *profile != "" {
		res.ProfilePath = *profile
		profEnv := append(env, "BENCH_CPUPROFILE="+*profile)
		self, err := os.Executable()
		check(err)
		srv, err = startProfServe(ctx, self, profEnv, addr, filepath.Join(tmp, "profserve.log"))
		check(err)
		r := loadgen.Run(loadgen.Options{Addr: addr, Conns: *conns, Warmup: time.Second, Measure: *dur, Request: clickReq("p")}, nil)
		srv.Stop()
		log.Printf("profile: %s clicks at %.0f/s under profiling, CPU profile in %s", r.StatusSummary(), r.Throughput, *profile)
	}

	b, _ := json.MarshalIndent(res, "", "  ")
	if *out != "" {
		check(os.WriteFile(*out, b, 0o644))
	}
	os.Stdout.Write(append(b, '\n'))
}

// startProfServe runs `clickbench profserve` (this binary) as the server.
func startProfServe(ctx context.Context, self string, env []string, addr, logPath string) (*benchenv.Server, error) {
	// StartServer runs "<bin> serve"; profserve ignores the extra argument.
	wrapper := filepath.Join(filepath.Dir(logPath), "profserve.sh")
	script := "#!/bin/sh\nexec " + strconv.Quote(self) + " profserve \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		return nil, err
	}
	return benchenv.StartServer(ctx, wrapper, env, addr, logPath)
}

func scriptETag(addr string) string {
	resp, err := http.Get("http://" + addr + "/tracking.js")
	check(err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" {
		log.Fatal("GET /tracking.js has no ETag")
	}
	return etag
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(out[:len(out)-1]))
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b int64) float64         { return float64(b) / (1 << 20) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
