// Command datagen loads the dashboard benchmark's dataset into its own
// database: one tenant with 200 affiliates, 10M clicks over a year and 200k
// conversions (each with its email link and history entry), written with
// COPY (lib/pq CopyIn), then the rollups rebuilt from the raw rows
// (store.RebuildRollups) and the tables vacuumed and analysed, so dashboard
// timings can be measured on it.
//
// One affiliate ("Partner 0", code partner-0) brings -top-share of the
// clicks (default 10%: 1M of 10M, and so about 20k of the 200k
// conversions), for the affiliate portal's pages; the others share the rest,
// skewed. Every affiliate's approved conversions of each past month are in
// a paid payout of that month (currency by currency), as a program that
// pays monthly has them; the current month's are not paid yet.
//
// It is idempotent: when the database already holds the requested dataset
// it only reports it. A partial or different dataset is dropped and loaded
// again. It is fast: the database is dedicated, so the load runs with
// synchronous_commit off, triggers and foreign-key checks off
// (session_replication_role = replica; the rollups are rebuilt afterwards),
// the secondary indexes of clicks dropped during the load and rebuilt
// after it, click ids ascending (the primary key is appended to, not split),
// and several COPY streams in parallel.
//
// The tenant's dashboard login is owner@dash.example / correct horse battery.
package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/bench/internal/benchenv"
	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/store"
)

const (
	ownerEmail    = "owner@dash.example"
	password      = "correct horse battery"
	stripeAccount = "acct_dashbench"
)

// Result describes the dataset and how long loading it took.
type Result struct {
	Database       string             `json:"database"`
	TenantID       string             `json:"tenant_id"`
	Login          string             `json:"login"`
	Clicks         int64              `json:"clicks"`
	Conversions    int64              `json:"conversions"`
	Affiliates     int                `json:"affiliates"`
	AlreadyLoaded  bool               `json:"already_loaded"`
	Seconds        map[string]float64 `json:"seconds"`
	TotalSeconds   float64            `json:"total_s"`
	ClicksPerSec   float64            `json:"click_copy_rows_per_s,omitempty"`
	DatabaseSizeMB float64            `json:"database_size_mb"`
}

type params struct {
	clicks, conversions, affiliates, days, workers int
	topShare                                       float64
}

func main() {
	var p params
	dbName := flag.String("db", "tracklane_bench_dash", "database to load (created if missing)")
	flag.IntVar(&p.clicks, "clicks", 10_000_000, "clicks")
	flag.IntVar(&p.conversions, "conversions", 200_000, "conversions")
	flag.IntVar(&p.affiliates, "affiliates", 200, "affiliates")
	flag.IntVar(&p.days, "days", 365, "days the clicks span, ending now")
	flag.IntVar(&p.workers, "workers", 2, "parallel COPY streams for clicks")
	flag.Float64Var(&p.topShare, "top-share", 0.10, "share of the clicks (and so of the conversions) of the biggest affiliate, Partner 0")
	out := flag.String("out", "", "write the JSON result here too")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("datagen: ")
	if p.conversions > p.clicks {
		log.Fatal("-conversions must not exceed -clicks")
	}
	if p.topShare < 0 || p.topShare >= 1 || p.affiliates < 2 {
		log.Fatal("-top-share must be in [0, 1) and -affiliates at least 2")
	}

	ctx := context.Background()
	res, err := run(ctx, *dbName, p)
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	os.Stdout.Write(append(b, '\n'))
}

func run(ctx context.Context, dbName string, p params) (Result, error) {
	start := time.Now()
	res := Result{Database: dbName, Login: ownerEmail + " / " + password, Seconds: map[string]float64{}, Affiliates: p.affiliates}
	step := func(name string, t0 time.Time) {
		res.Seconds[name] = time.Since(t0).Seconds()
		log.Printf("%-22s %6.1f s", name, res.Seconds[name])
	}
	dsn := benchenv.DatabaseURL(dbName)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	t0 := time.Now()
	st, err := store.Open(ctx, dsn, quiet) // creates the database if missing, migrates
	if err != nil {
		return res, err
	}
	if ok, tenantID, err := loaded(ctx, st.DB(), p); err != nil {
		st.Close()
		return res, err
	} else if ok {
		res.AlreadyLoaded, res.TenantID = true, tenantID
		res.Clicks, res.Conversions = int64(p.clicks), int64(p.conversions)
		res.DatabaseSizeMB = dbSize(ctx, st.DB())
		st.Close()
		res.TotalSeconds = time.Since(start).Seconds()
		log.Printf("already loaded: %d clicks, %d conversions for tenant %s", p.clicks, p.conversions, tenantID)
		return res, nil
	}
	st.Close()
	// Anything else (empty, partial, other sizes): start from scratch.
	if _, err := benchenv.FreshDatabase(ctx, dbName); err != nil {
		return res, err
	}
	if st, err = store.Open(ctx, dsn, quiet); err != nil {
		return res, err
	}
	defer st.Close()
	step("fresh database", t0)

	t0 = time.Now()
	acc := account.Service{Store: st}
	t, err := acc.CreateTenant(ctx, account.NewTenantInput{Name: "Dashboard Bench", Email: ownerEmail, Password: password, Website: "https://shop.example"})
	if err != nil {
		return res, err
	}
	res.TenantID = t.Tenant.ID
	affs := make([]string, p.affiliates)
	for i := range affs {
		a, err := acc.CreateAffiliate(ctx, t.Tenant.ID, account.AffiliateInput{Name: fmt.Sprintf("Partner %d", i),
			Email: fmt.Sprintf("partner%d@partners.example", i), Code: fmt.Sprintf("partner-%d", i)})
		if err != nil {
			return res, err
		}
		affs[i] = a.ID
	}
	step("tenant and affiliates", t0)

	g := gen{p: p, tenant: t.Tenant.ID, origin: t.RevenueOriginID, affs: affs, end: time.Now().UTC().Truncate(time.Second)}
	g.start = g.end.Add(-time.Duration(p.days) * 24 * time.Hour)
	db := st.DB()

	t0 = time.Now()
	indexes, err := secondaryIndexes(ctx, db, "clicks")
	if err != nil {
		return res, err
	}
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+pq.QuoteIdentifier(ix.name)); err != nil {
			return res, err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, p.workers)
	per := (p.clicks + p.workers - 1) / p.workers
	for w := 0; w < p.workers; w++ {
		lo, hi := w*per, min((w+1)*per, p.clicks)
		wg.Add(1)
		go func() { defer wg.Done(); errs[w] = g.copyClicks(ctx, db, lo, hi) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	step("copy clicks", t0)
	res.ClicksPerSec = float64(p.clicks) / res.Seconds["copy clicks"]

	t0 = time.Now()
	if err := g.copyConversions(ctx, db); err != nil {
		return res, err
	}
	step("copy conversions", t0)

	t0 = time.Now()
	if err := g.payouts(ctx, db); err != nil {
		return res, err
	}
	step("payouts", t0)

	t0 = time.Now()
	// Rebuild the dropped indexes in parallel (each is one sort).
	ierrs := make([]error, len(indexes))
	sem := make(chan struct{}, p.workers)
	for i, ix := range indexes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ierrs[i] = onSession(ctx, db, func(c *sql.Conn) error {
				_, err := c.ExecContext(ctx, ix.def)
				return err
			})
		}()
	}
	wg.Wait()
	for _, err := range ierrs {
		if err != nil {
			return res, err
		}
	}
	step("rebuild click indexes", t0)

	t0 = time.Now()
	if err := st.RebuildRollups(ctx, t.Tenant.ID, "UTC"); err != nil {
		return res, err
	}
	step("rebuild rollups", t0)

	t0 = time.Now()
	for _, table := range []string{"clicks", "customer_links", "conversions", "conversion_history", "payouts", "click_days", "affiliate_click_days", "conversion_days", "link_days"} {
		if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) `+table); err != nil {
			return res, err
		}
	}
	step("vacuum analyze", t0)

	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM clicks WHERE tenant_id = $1`, t.Tenant.ID).Scan(&res.Clicks); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM conversions WHERE tenant_id = $1`, t.Tenant.ID).Scan(&res.Conversions); err != nil {
		return res, err
	}
	res.DatabaseSizeMB = dbSize(ctx, db)
	res.TotalSeconds = time.Since(start).Seconds()
	return res, nil
}

// loaded reports whether the database already holds this dataset,
// complete: the rollups (rebuilt last) are there.
func loaded(ctx context.Context, db *sql.DB, p params) (bool, string, error) {
	var tenantID string
	err := db.QueryRowContext(ctx, `SELECT tenant_id FROM users WHERE email = $1`, ownerEmail).Scan(&tenantID)
	if err == sql.ErrNoRows {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	var clicks, conversions, affs int
	var top int64
	var rolled, paid bool
	err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM clicks WHERE tenant_id = $1),
		(SELECT count(*) FROM conversions WHERE tenant_id = $1), (SELECT count(*) FROM affiliates WHERE tenant_id = $1),
		EXISTS (SELECT 1 FROM rollup_timezones WHERE tenant_id = $1) AND EXISTS (SELECT 1 FROM click_days WHERE tenant_id = $1),
		coalesce((SELECT sum(clicks) FROM affiliate_click_days d JOIN affiliates a ON a.tenant_id = d.tenant_id AND a.id = d.affiliate_id
			WHERE d.tenant_id = $1 AND a.code = 'partner-0'), 0),
		EXISTS (SELECT 1 FROM payouts WHERE tenant_id = $1)`,
		tenantID).Scan(&clicks, &conversions, &affs, &rolled, &top, &paid)
	if err != nil {
		return false, "", err
	}
	// An older dataset (no biggest affiliate, no payouts) is loaded again.
	wantTop := int64(float64(p.clicks) * p.topShare * 0.95)
	return clicks == p.clicks && conversions == p.conversions && affs == p.affiliates && rolled && top >= wantTop &&
		(paid || p.conversions == 0), tenantID, nil
}

type index struct{ name, def string }

// secondaryIndexes lists a table's indexes that back no constraint.
func secondaryIndexes(ctx context.Context, db *sql.DB, table string) ([]index, error) {
	rows, err := db.QueryContext(ctx, `SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		WHERE t.relname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}

// onSession runs fn on one connection set up for bulk loading.
func onSession(ctx context.Context, db *sql.DB, fn func(c *sql.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{`SET synchronous_commit = off`, `SET session_replication_role = replica`,
		`SET maintenance_work_mem = '256MB'`} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	defer c.ExecContext(context.Background(), `RESET session_replication_role`)
	return fn(c)
}

// copyRows COPYs rows from next (which returns nil at the end) into table.
func copyRows(ctx context.Context, db *sql.DB, table string, cols []string, next func() []any) error {
	return onSession(ctx, db, func(c *sql.Conn) error {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, cols...))
		if err != nil {
			return err
		}
		for row := next(); row != nil; row = next() {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		if err := stmt.Close(); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// gen makes the dataset deterministically: click i is at a fixed time, so
// a conversion can name an earlier click without reading it back.
type gen struct {
	p          params
	tenant     string
	origin     string
	affs       []string
	start, end time.Time
}

func (g gen) clickID(i int) string { return fmt.Sprintf("dg%010d", i) }

// clickTime spreads the clicks evenly over the span, ascending with i.
func (g gen) clickTime(i int) time.Time {
	span := g.end.Sub(g.start)
	return g.start.Add(time.Duration(float64(span) * float64(i) / float64(g.p.clicks)))
}

// mix is splitmix64: cheap, well-spread pseudo-random numbers from an index.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

var (
	userAgents = []struct{ ua, device string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", "desktop"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "desktop"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "mobile"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36", "mobile"},
		{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "tablet"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop"},
	}
	landings  = []string{"https://shop.example/", "https://shop.example/pricing", "https://shop.example/features", "https://shop.example/blog/launch"}
	referrers = []string{"", "", "https://www.google.com/", "https://news.ycombinator.com/", "https://twitter.com/", "https://partner-blog.example/review"}
	sources   = []struct{ src, med, camp string }{{"", "", ""}, {"newsletter", "email", "spring"}, {"youtube", "video", "review"}, {"blog", "referral", ""}}
)

// affOf draws a click's affiliate from its random number r: the biggest
// affiliate takes topShare of the clicks, the others the rest, skewed (a
// few bring most).
func (g gen) affOf(r uint64) string {
	if float64(mix(r)%1_000_000) < g.p.topShare*1_000_000 {
		return g.affs[0]
	}
	rest := g.affs[1:]
	return rest[int((r%1000)*(r%1000)/1000)*len(rest)/1000]
}

// payouts pays every affiliate's approved conversions of each past month
// (in the dataset's end month, none: not paid yet) in one paid payout per
// affiliate, currency and month, made two days after the month and paid
// three days later.
func (g gen) payouts(ctx context.Context, db *sql.DB) error {
	const key = `'po_dg_' || affiliate_id || '_' || currency || '_' || to_char(date_trunc('month', created_at AT TIME ZONE 'UTC'), 'YYYYMM')`
	return onSession(ctx, db, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, payout_email,
				reference, created_at, paid_at)
			SELECT id, $1, affiliate_id, currency, sum(commission), 'paid', '', 'DG-' || upper(substr(md5(id), 1, 8)),
				m + interval '1 month 2 days', m + interval '1 month 5 days'
			FROM (SELECT `+key+` AS id, affiliate_id, currency, commission,
					date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m
				FROM conversions WHERE tenant_id = $1 AND status = 'approved' AND created_at < date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') c
			GROUP BY id, affiliate_id, currency, m`, g.tenant, g.end); err != nil {
			return fmt.Errorf("payouts: %w", err)
		}
		if _, err := c.ExecContext(ctx, `UPDATE conversions SET payout_id = `+key+`
			WHERE tenant_id = $1 AND status = 'approved' AND created_at < date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
			g.tenant, g.end); err != nil {
			return fmt.Errorf("payout ids: %w", err)
		}
		return nil
	})
}

func (g gen) copyClicks(ctx context.Context, db *sql.DB, lo, hi int) error {
	visitors := uint64(max(g.p.clicks/3, 1))
	hash := make([]byte, 32)
	i := lo
	return copyRows(ctx, db, "clicks", []string{"id", "tenant_id", "affiliate_id", "created_at", "landing_url", "referrer",
		"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "user_agent", "device", "visitor_hash"},
		func() []any {
			if i >= hi {
				return nil
			}
			r := mix(uint64(i))
			aff := g.affOf(r)
			ua := userAgents[(r>>10)%uint64(len(userAgents))]
			src := sources[(r>>14)%uint64(len(sources))]
			landing := landings[(r>>18)%uint64(len(landings))]
			if src.src != "" {
				landing += "?utm_source=" + src.src + "&utm_medium=" + src.med
			}
			v := mix(r>>20%visitors + 1)
			for k := 0; k < 4; k++ {
				binary.LittleEndian.PutUint64(hash[k*8:], mix(v+uint64(k)))
			}
			row := []any{g.clickID(i), g.tenant, aff, g.clickTime(i), landing, referrers[(r>>24)%uint64(len(referrers))],
				src.src, src.med, src.camp, "", "", ua.ua, ua.device, hash}
			i++
			return row
		})
}

// copyConversions writes, per conversion, the email link to its click, the
// conversion (paid a few days after the click) and its creation in the
// history.
func (g gen) copyConversions(ctx context.Context, db *sql.DB) error {
	type conv struct {
		id, click, aff, email, status string
		clickAt, paidAt               time.Time
		amount, commission            int64
		currency                      string
	}
	statuses := []string{"approved", "approved", "approved", "pending", "pending", "refunded", "cancelled", "disputed", "rejected", "test"}
	step := g.p.clicks / g.p.conversions
	convs := make([]conv, g.p.conversions)
	for k := range convs {
		r := mix(uint64(k) + 1<<40)
		ci := k*step + int(r%uint64(step))
		c := conv{id: fmt.Sprintf("cv_dg%010d", k), click: g.clickID(ci), email: fmt.Sprintf("buyer%07d@customer.example", k),
			status: statuses[(r>>8)%uint64(len(statuses))], clickAt: g.clickTime(ci), currency: "usd"}
		c.aff = g.affOf(mix(uint64(ci))) // the click's affiliate (same draw as copyClicks)
		c.paidAt = c.clickAt.Add(time.Duration(r>>16%(7*24*3600)) * time.Second)
		if c.paidAt.After(g.end) {
			c.paidAt = g.end
		}
		if (r>>40)%5 == 0 {
			c.currency = "eur"
		}
		c.amount = int64(1000 + (r>>44)%19000)
		c.commission = (c.amount*2000 + 5000) / 10000
		if c.status == "refunded" {
			c.amount, c.commission = 0, 0
		}
		convs[k] = c
	}

	i := 0
	if err := copyRows(ctx, db, "customer_links", []string{"tenant_id", "external_cid", "click_id", "click_created_at", "revenue_origin_id", "created_at"},
		func() []any {
			if i >= len(convs) {
				return nil
			}
			c := convs[i]
			i++
			return []any{g.tenant, c.email, c.click, c.clickAt, g.origin, c.clickAt.Add(time.Minute)}
		}); err != nil {
		return err
	}
	i = 0
	if err := copyRows(ctx, db, "conversions", []string{"id", "tenant_id", "affiliate_id", "click_id", "external_cid", "revenue_origin_id",
		"stripe_account", "livemode", "source_id", "stripe_customer", "stripe_invoice", "stripe_charge", "stripe_subscription",
		"currency", "gross_amount", "amount", "commission", "rule_type", "rule_bp", "rule_fixed", "rule_currency", "status", "created_at", "updated_at"},
		func() []any {
			if i >= len(convs) {
				return nil
			}
			c := convs[i]
			i++
			gross := c.amount
			if c.status == "refunded" {
				gross = 5000
			}
			return []any{c.id, g.tenant, c.aff, c.click, c.email, g.origin, stripeAccount, c.status != "test", fmt.Sprintf("in_dg%010d", i),
				fmt.Sprintf("cus_dg%08d", i), fmt.Sprintf("in_dg%010d", i), fmt.Sprintf("ch_dg%010d", i), "",
				c.currency, gross, c.amount, c.commission, "percent", 2000, 0, "", c.status, c.paidAt, c.paidAt}
		}); err != nil {
		return err
	}
	i = 0
	return copyRows(ctx, db, "conversion_history", []string{"conversion_id", "tenant_id", "at", "status", "reason", "stripe_event", "amount", "commission"},
		func() []any {
			if i >= len(convs) {
				return nil
			}
			c := convs[i]
			i++
			return []any{c.id, g.tenant, c.paidAt, c.status, "conversion created: generated by datagen", fmt.Sprintf("evt_dg%010d", i), c.amount, c.commission}
		})
}

func dbSize(ctx context.Context, db *sql.DB) float64 {
	var b int64
	db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&b)
	return float64(b) / (1 << 20)
}
