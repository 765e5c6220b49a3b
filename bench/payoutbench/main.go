// Command payoutbench measures payout creation on the real server binary,
// run as a separate process against a fresh database, and the click path
// in the same run:
//
//   - it loads -affiliates affiliates and -conversions approved
//     conversions in no payout (two currencies) straight into PostgreSQL;
//   - clicks-before: click load alone (POST /tracking/click/v1);
//   - clicks-during: the same load, measured exactly while one
//     POST /api/v1/payouts creates every payout (batches of affiliates,
//     one transaction each);
//   - clicks-after: click load alone again.
//
// It checks that every conversion landed in exactly one payout and that
// the payouts add up to the commission, and prints a JSON result (and
// writes it to -out). The target: 10k affiliates / 200k
// conversions created in ≤ 5 s, clicks keeping their throughput.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "github.com/lib/pq"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
	"github.com/tracklane/tracklane/bench/internal/loadgen"
)

// Clicks is one measured click load.
type Clicks struct {
	Name       string           `json:"name"`
	Throughput float64          `json:"throughput_per_s"`
	P50ms      float64          `json:"p50_ms"`
	P99ms      float64          `json:"p99_ms"`
	MaxMs      float64          `json:"max_ms"`
	WindowS    float64          `json:"window_s"`
	Status     map[string]int64 `json:"status"`
	Errors     int64            `json:"transport_errors"`
}

// Result is the whole run.
type Result struct {
	Started        time.Time `json:"started"`
	LoadAvg        string    `json:"load_average_at_start"`
	Affiliates     int       `json:"affiliates"`
	Conversions    int       `json:"conversions"`
	LoadS          float64   `json:"load_s"`
	CreateS        float64   `json:"create_s"`
	CreateStatus   int       `json:"create_status"`
	Payouts        int64     `json:"payouts"`
	InPayouts      int64     `json:"conversions_in_payouts"`
	AmountsMatch   bool      `json:"amounts_match_commission"`
	Clicks         []Clicks  `json:"clicks"`
	DuringOverPre  float64   `json:"clicks_during_over_before"`
	TargetCreateS  float64   `json:"target_create_s"`
	MeetsTargetFor string    `json:"meets_target_for,omitempty"`
}

func main() {
	bin := flag.String("bin", "", "server binary (default: go build ./server into a temp dir)")
	dbName := flag.String("db", "tracklane_bench_payout", "database to (re)create")
	affiliates := flag.Int("affiliates", 10_000, "affiliates with payable commission")
	conversions := flag.Int("conversions", 200_000, "approved conversions in no payout")
	conns := flag.Int("conns", 64, "concurrent click connections")
	warm := flag.Duration("warmup", 2*time.Second, "click warm-up before each measured window")
	dur := flag.Duration("duration", 5*time.Second, "measured window of the click phases before and after")
	out := flag.String("out", "", "write the JSON result here too")
	keep := flag.Bool("keep-db", false, "keep the database afterwards")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("payoutbench: ")
	ctx := context.Background()

	tmp, err := os.MkdirTemp("", "payoutbench")
	check(err)
	defer os.RemoveAll(tmp)
	if *bin == "" {
		root, err := benchenv.ModuleRoot()
		check(err)
		*bin = filepath.Join(tmp, "tracklane")
		log.Printf("building the server")
		check(benchenv.Build(ctx, root, *bin))
	}
	*bin, err = filepath.Abs(*bin)
	check(err)
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

	res := Result{Started: time.Now().UTC(), LoadAvg: benchenv.LoadAverage(), Affiliates: *affiliates, Conversions: *conversions, TargetCreateS: 5}
	db, err := sql.Open("postgres", dsn)
	check(err)
	defer db.Close()
	t0 := time.Now()
	check(load(ctx, db, prov.TenantID, *affiliates, *conversions))
	res.LoadS = time.Since(t0).Seconds()
	log.Printf("loaded %d affiliates, %d approved conversions in %.1f s", *affiliates, *conversions, res.LoadS)

	srv, err := benchenv.StartServer(ctx, *bin, env, addr, filepath.Join(tmp, "server.log"))
	check(err)
	defer srv.Stop()
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/pricing","referrer":"https://blog.example/","cid":""}`, prov.TenantID, prov.Code)
	click := func(tag string) func([]byte, int, int) []byte {
		return func(buf []byte, w, n int) []byte {
			return fmt.Appendf(buf, "POST /tracking/click/v1 HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) PayoutBench/1.0 %s-w%d-n%d\r\nContent-Type: text/plain;charset=UTF-8\r\nOrigin: https://shop.example\r\nContent-Length: %d\r\n\r\n%s",
				addr, tag, w, n, len(body), body)
		}
	}
	run := func(name string, measure time.Duration, stop *loadgen.Stopper) Clicks {
		r := loadgen.Run(loadgen.Options{Addr: addr, Conns: *conns, Warmup: *warm, Measure: measure, Request: click(name)}, stop)
		c := Clicks{Name: name, Throughput: r.Throughput, P50ms: ms(r.LatencyP50), P99ms: ms(r.LatencyP99), MaxMs: ms(r.LatencyMax),
			WindowS: r.Window.Seconds(), Status: map[string]int64{}, Errors: r.Errors}
		for k, v := range r.Status {
			c.Status[strconv.Itoa(k)] = v
		}
		log.Printf("%-14s %7.0f clicks/s  p50 %6.1f ms  p99 %7.1f ms  window %.2f s  [%s] errors %d",
			name, c.Throughput, c.P50ms, c.P99ms, c.WindowS, r.StatusSummary(), r.Errors)
		return c
	}

	res.Clicks = append(res.Clicks, run("clicks-before", *dur, nil))
	stop := &loadgen.Stopper{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(*warm) // the measured window starts now
		start := time.Now()
		res.CreateStatus = createPayouts(addr, prov.Token)
		res.CreateS = time.Since(start).Seconds()
		stop.Stop()
	}()
	res.Clicks = append(res.Clicks, run("clicks-during", 10*time.Minute, stop))
	<-done
	log.Printf("POST /api/v1/payouts: %d in %.2f s", res.CreateStatus, res.CreateS)
	res.Clicks = append(res.Clicks, run("clicks-after", *dur, nil))
	if pre := res.Clicks[0].Throughput; pre > 0 {
		res.DuringOverPre = res.Clicks[1].Throughput / pre
	}
	check(verify(ctx, db, prov.TenantID, &res))
	if res.CreateS <= res.TargetCreateS {
		res.MeetsTargetFor = fmt.Sprintf("%d affiliates / %d conversions", *affiliates, *conversions)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if *out != "" {
		check(os.WriteFile(*out, b, 0o644))
	}
	os.Stdout.Write(append(b, '\n'))
}

// createPayouts asks the server for every payout, as a merchant's script
// would, and returns the status (201 expected).
func createPayouts(addr, token string) int {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/payouts", nil)
	check(err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	check(err)
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// load writes the affiliates and their approved conversions (usd and eur,
// spread evenly) in a few set-based statements.
func load(ctx context.Context, db *sql.DB, tenantID string, affiliates, conversions int) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO affiliates (id, tenant_id, name, email, code, payout_email)
		SELECT 'af_pb_' || i, $1, 'Affiliate ' || i, 'a' || i || '@partners.example', 'pb-' || i,
			CASE WHEN i % 10 = 0 THEN '' ELSE 'pay' || i || '@paypal.example' END
		FROM generate_series(1, $2) AS i`, tenantID, affiliates); err != nil {
		return fmt.Errorf("loading affiliates: %w", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid,
			stripe_account, livemode, source_id, currency, gross_amount, amount, commission,
			rule_type, rule_bp, rule_fixed, rule_currency, status, created_at, updated_at)
		SELECT 'cv_pb_' || i, $1, 'af_pb_' || (1 + i % $2), 'k' || i, 'buyer' || i || '@example.com',
			'acct_payoutbench', true, 'in_pb_' || i, CASE WHEN i % 3 = 0 THEN 'eur' ELSE 'usd' END,
			5000 + i % 997, 5000 + i % 997, (5000 + i % 997) / 5,
			'percent', 2000, 0, '', 'approved', now() - interval '40 days' + i * interval '1 second', now()
		FROM generate_series(1, $3) AS i`, tenantID, affiliates, conversions); err != nil {
		return fmt.Errorf("loading conversions: %w", err)
	}
	for _, table := range []string{"conversions", "affiliates"} {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			return fmt.Errorf("vacuuming %s: %w", table, err)
		}
	}
	return nil
}

// verify checks that every conversion is in exactly one payout (the
// column holds one) and that the payouts add up to the commission.
func verify(ctx context.Context, db *sql.DB, tenantID string, res *Result) error {
	var payoutSum, commission int64
	err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM payouts WHERE tenant_id = $1),
		(SELECT count(*) FROM payout_items WHERE tenant_id = $1),
		(SELECT COALESCE(sum(amount), 0) FROM payouts WHERE tenant_id = $1),
		(SELECT COALESCE(sum(commission), 0) FROM conversions WHERE tenant_id = $1)`, tenantID).
		Scan(&res.Payouts, &res.InPayouts, &payoutSum, &commission)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	res.AmountsMatch = payoutSum == commission && res.InPayouts == int64(res.Conversions)
	if !res.AmountsMatch {
		log.Printf("MISMATCH: %d of %d conversions in payouts; payouts %d, commission %d", res.InPayouts, res.Conversions, payoutSum, commission)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
