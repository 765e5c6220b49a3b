package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The daily rollups follow the clicks and conversions written, count a
// visitor once a day, and are re-bucketed when the timezone changes.
func TestRollups(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Acme", Email: "o@acme.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	tid := ten.Tenant.ID
	a1, _ := svc.CreateAffiliate(ctx, tid, account.AffiliateInput{Name: "A", Email: "a@p.example", Code: "aa"})
	a2, _ := svc.CreateAffiliate(ctx, tid, account.AffiliateInput{Name: "B", Email: "b@p.example", Code: "bb"})
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	click := func(id string, aff tracklane.Affiliate, at time.Time, visitor string) tracklane.Click {
		return tracklane.Click{ID: id, TenantID: tid, AffiliateID: aff.ID, CreatedAt: at, VisitorHash: []byte(visitor)}
	}
	// Day 1: visitor v1 twice (once per affiliate), v2 once — in one batch.
	if err := st.InsertClicks(ctx, []tracklane.Click{
		click("c1", a1, day.Add(1*time.Hour), "v1"),
		click("c2", a2, day.Add(2*time.Hour), "v1"),
		click("c3", a1, day.Add(3*time.Hour), "v2"),
	}); err != nil {
		t.Fatal(err)
	}
	// Day 1 again, a later batch: v1 a third time; day 2 (23:30 UTC): v1.
	if err := st.InsertClicks(ctx, []tracklane.Click{
		click("c4", a1, day.Add(20*time.Hour), "v1"),
		click("c5", a1, day.Add(47*time.Hour+30*time.Minute), "v1"),
	}); err != nil {
		t.Fatal(err)
	}
	r := tracklane.DayRange{From: day, To: day.AddDate(0, 0, 2)}
	o, err := st.TenantOverview(ctx, tid, r)
	if err != nil {
		t.Fatal(err)
	}
	if o.Clicks != 5 || o.Uniques != 3 || len(o.Days) != 2 || o.Days[0].Clicks != 4 || o.Days[0].Uniques != 2 || o.Days[1].Uniques != 1 {
		t.Fatalf("overview %+v", o)
	}
	stats, err := st.AffiliateStats(ctx, tid, []string{a1.ID, a2.ID}, r)
	if err != nil {
		t.Fatal(err)
	}
	// a1 on day 1: c1 (v1), c3 (v2), c4 (v1 again) → 3 clicks, 2 unique; day 2: 1.
	if s := stats[a1.ID]; s.Clicks != 4 || s.Uniques != 3 {
		t.Fatalf("a1 %+v", s)
	}
	if s := stats[a2.ID]; s.Clicks != 1 || s.Uniques != 1 {
		t.Fatalf("a2 %+v", s)
	}

	// Conversions: the trigger keeps money per currency and status.
	db := st.DB()
	insert := func(id, status, cur string, amount, commission int64, at time.Time) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, stripe_account,
			livemode, source_id, currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status, created_at, updated_at)
			VALUES ($1, $2, $3, 'c1', 'x@y.example', 'acct', true, $1, $4, $5, $5, $6, 'percent', 2000, 0, '', $7, $8, $8)`,
			id, tid, a1.ID, cur, amount, commission, status, at); err != nil {
			t.Fatal(err)
		}
	}
	insert("cv1", "pending", "usd", 10000, 2000, day.Add(5*time.Hour))
	insert("cv2", "approved", "usd", 5000, 1000, day.Add(6*time.Hour))
	insert("cv3", "approved", "jpy", 3000, 600, day.Add(7*time.Hour))
	insert("cv4", "test", "usd", 9999, 2000, day.Add(8*time.Hour))
	if _, err := db.ExecContext(ctx, `UPDATE conversions SET status = 'refunded', amount = 0, commission = 0 WHERE id = 'cv2'`); err != nil {
		t.Fatal(err)
	}
	o, err = st.TenantOverview(ctx, tid, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []tracklane.Money{
		{Currency: "jpy", Revenue: 3000, Commission: 600, Owed: 600},
		{Currency: "usd", Revenue: 10000, Commission: 2000, Pending: 2000},
	}
	if o.Conversions != 3 || o.TestConversions != 1 || len(o.Money) != 2 || o.Money[0] != want[0] || o.Money[1] != want[1] {
		t.Fatalf("overview %+v", o)
	}
	top, err := st.TopAffiliates(ctx, tid, r, 5)
	if err != nil || len(top) != 2 || top[0].AffiliateID != a1.ID || top[0].Conversions != 3 {
		t.Fatalf("top %+v %v", top, err)
	}

	// Berlin is UTC+1 in March: c5 (23:30 UTC on day 2) moves to day 3 and
	// c4 (20:00 UTC) stays on day 1. Rebuilt, the totals stay the same.
	ten.Tenant.Timezone = "Europe/Berlin"
	if err := st.EnsureRollups(ctx, ten.Tenant); err != nil {
		t.Fatal(err)
	}
	o, err = st.TenantOverview(ctx, tid, tracklane.DayRange{From: day, To: day.AddDate(0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Clicks != 5 || o.Days[0].Clicks != 4 || o.Days[1].Clicks != 0 || o.Days[2].Clicks != 1 || o.Conversions != 3 {
		t.Fatalf("after rebuild %+v", o)
	}
	// New writes land in Berlin days too.
	if err := st.InsertClicks(ctx, []tracklane.Click{click("c6", a2, day.Add(23*time.Hour+30*time.Minute), "v9")}); err != nil {
		t.Fatal(err)
	}
	o, _ = st.TenantOverview(ctx, tid, tracklane.DayRange{From: day, To: day.AddDate(0, 0, 3)})
	if o.Days[1].Clicks != 1 {
		t.Fatalf("Berlin day 2 %+v", o.Days)
	}
}

var codeSeq atomic.Int64

// newClickTenant makes a tenant with n affiliates for the click tests.
func newClickTenant(t *testing.T, st *store.Store, n int) (string, []tracklane.Affiliate) {
	t.Helper()
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Acme", Email: fmt.Sprintf("o%d@acme.example", n), Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	var affs []tracklane.Affiliate
	for i := 0; i < n; i++ {
		a, err := svc.CreateAffiliate(ctx, ten.Tenant.ID, account.AffiliateInput{Name: "A", Email: fmt.Sprintf("a%d@p.example", i), Code: fmt.Sprintf("aff-%d-%d", codeSeq.Add(1), i)})
		if err != nil {
			t.Fatal(err)
		}
		affs = append(affs, a)
	}
	return ten.Tenant.ID, affs
}

// checkRollups compares the tenant's rollups (all shards summed) with a
// recount from the clicks, bucketed in tz.
func checkRollups(t *testing.T, st *store.Store, tenantID, tz string) {
	t.Helper()
	var bad int
	if err := st.DB().QueryRow(`SELECT count(*) FROM (SELECT day, sum(clicks) AS clicks, sum(uniques) AS uniques FROM click_days
		WHERE tenant_id = $1 GROUP BY 1) r FULL JOIN (SELECT (created_at AT TIME ZONE $2)::date AS day, count(*) AS clicks,
		count(DISTINCT visitor_hash) AS uniques FROM clicks WHERE tenant_id = $1 GROUP BY 1) c USING (day)
		WHERE r.clicks IS DISTINCT FROM c.clicks OR r.uniques IS DISTINCT FROM c.uniques`, tenantID, tz).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("click_days disagrees with a recount on %d days", bad)
	}
	if err := st.DB().QueryRow(`SELECT count(*) FROM (SELECT day, affiliate_id, sum(clicks) AS clicks, sum(uniques) AS uniques
		FROM affiliate_click_days WHERE tenant_id = $1 GROUP BY 1, 2) r FULL JOIN (SELECT (created_at AT TIME ZONE $2)::date AS day,
		affiliate_id, count(*) AS clicks, count(DISTINCT visitor_hash) AS uniques FROM clicks WHERE tenant_id = $1 GROUP BY 1, 2) c
		USING (day, affiliate_id)
		WHERE r.clicks IS DISTINCT FROM c.clicks OR r.uniques IS DISTINCT FROM c.uniques`, tenantID, tz).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("affiliate_click_days disagrees with a recount on %d rows", bad)
	}
}

// RecordClicks resolves repeats in the batch's own statement: by the
// cookie's click id (same tenant and affiliate, within the hour), else by
// the visitor hash, and within the batch the first visit of a visitor
// gives its click to the others.
func TestRecordClicksRepeats(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 2)
	otherTID, otherAffs := newClickTenant(t, st, 1)
	a1, a2 := affs[0].ID, affs[1].ID
	now := time.Now().UTC().Truncate(time.Microsecond)
	n := 0
	visit := func(aff, visitor, cookie string, at time.Time) tracklane.Click {
		n++
		return tracklane.Click{ID: fmt.Sprintf("rc%d", n), TenantID: tid, AffiliateID: aff, CreatedAt: at,
			VisitorHash: []byte(visitor), CookieCID: cookie, UserAgent: "UA", LandingURL: "https://shop.example/"}
	}
	got, err := st.RecordClicks(ctx, 0, []tracklane.Click{visit(a1, "v1", "", now.Add(-10*time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	x := got[0]
	if x.ID != "rc1" || !x.CreatedAt.Equal(now.Add(-10*time.Minute)) {
		t.Fatalf("first visit: %+v", x)
	}
	other, err := st.RecordClicks(ctx, 1, []tracklane.Click{{ID: "other", TenantID: otherTID, AffiliateID: otherAffs[0].ID,
		CreatedAt: now, VisitorHash: []byte("v1")}})
	if err != nil || other[0].ID != "other" {
		t.Fatalf("other tenant: %+v %v", other, err)
	}

	batch := []tracklane.Click{
		visit(a1, "v2", x.ID, now),      // 0: cookie → x
		visit(a1, "v2", "", now),        // 1: v2 is new → new click
		visit(a1, "v2", "", now),        // 2: same visitor in the batch → 1's
		visit(a1, "v1", "", now),        // 3: visitor repeat → x
		visit(a2, "v1", "", now),        // 4: other affiliate → new
		visit(a2, "v3", x.ID, now),      // 5: cookie of another affiliate → new
		visit(a1, "v4", "missing", now), // 6: unknown cookie → new
		visit(a1, "v5", "other", now),   // 7: another tenant's click → new
		visit(a2, "v1", "", now),        // 8: → 4's
	}
	got, err = st.RecordClicks(ctx, 2, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{x.ID, batch[1].ID, batch[1].ID, x.ID, batch[4].ID, batch[5].ID, batch[6].ID, batch[7].ID, batch[4].ID}
	for i, w := range want {
		if got[i].ID != w {
			t.Errorf("visit %d got click %s, want %s", i, got[i].ID, w)
		}
	}
	if !got[0].CreatedAt.Equal(x.CreatedAt) || !got[3].CreatedAt.Equal(x.CreatedAt) || !got[1].CreatedAt.Equal(now) {
		t.Errorf("created_at of the answers: %v %v %v", got[0].CreatedAt, got[3].CreatedAt, got[1].CreatedAt)
	}
	var rows int
	if err := st.DB().QueryRow(`SELECT count(*) FROM clicks WHERE tenant_id = $1`, tid).Scan(&rows); err != nil || rows != 6 {
		t.Fatalf("%d rows (%v), want 6", rows, err)
	}
	// Past the hour, the same visitor gets a new click, and so does the cookie.
	later := x.CreatedAt.Add(RepeatWindowForTest + time.Second)
	got, err = st.RecordClicks(ctx, 3, []tracklane.Click{visit(a1, "v1", "", later), visit(a1, "v9", x.ID, later)})
	if err != nil || got[0].ID == x.ID || got[1].ID == x.ID {
		t.Fatalf("after the window: %+v %v", got, err)
	}
	checkRollups(t, st, tid, "UTC")
	o, err := st.TenantOverview(ctx, tid, tracklane.DayRange{From: now.Truncate(24*time.Hour).AddDate(0, 0, -1), To: now.Truncate(24*time.Hour).AddDate(0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Clicks != 8 {
		t.Errorf("overview counts %d clicks, want 8", o.Clicks)
	}
}

const RepeatWindowForTest = tracklane.RepeatWindow

// Concurrent batches of overlapping visitors, in every shard, keep the
// rollups exactly equal to a recount and make no second click of a visitor
// within the hour: batches sharing a visitor bucket are serialised (as two
// processes' writers are), whether or not they were routed by bucket.
func TestRollupsExactUnderConcurrentBatches(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 3)
	now := time.Now().UTC()
	var wg sync.WaitGroup
	var seq atomic.Int64
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for b := 0; b < 25; b++ {
				shard := rng.IntN(4)
				var batch []tracklane.Click
				for i := 0; i < 20; i++ {
					v := rng.IntN(60)
					if v%4 != shard { // route visitors by shard, as the batcher does
						v = v - v%4 + shard
					}
					batch = append(batch, tracklane.Click{ID: fmt.Sprintf("k%d", seq.Add(1)), TenantID: tid,
						AffiliateID: affs[rng.IntN(len(affs))].ID, CreatedAt: now.Add(time.Duration(rng.IntN(1000)) * time.Millisecond),
						VisitorHash: []byte(fmt.Sprintf("visitor-%d", v))})
				}
				if _, err := st.RecordClicks(ctx, shard, batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Unrouted writers race the same visitors across shards (as a process
	// with another writer count, or an import, would).
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < 10; b++ {
				var batch []tracklane.Click
				for i := 0; i < 15; i++ {
					batch = append(batch, tracklane.Click{ID: fmt.Sprintf("u%d", seq.Add(1)), TenantID: tid, AffiliateID: affs[(b+i)%3].ID,
						CreatedAt: now.Add(2 * time.Hour), VisitorHash: []byte(fmt.Sprintf("visitor-%d", (g*7+i)%60))})
				}
				if _, err := st.RecordClicks(ctx, (g+b)%4, batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkRollups(t, st, tid, "UTC")
	var dups int
	if err := st.DB().QueryRow(`SELECT count(*) FROM clicks a JOIN clicks b ON a.tenant_id = b.tenant_id
		AND a.affiliate_id = b.affiliate_id AND a.visitor_hash = b.visitor_hash AND a.id < b.id
		AND abs(extract(epoch FROM a.created_at - b.created_at)) < 3600
		WHERE a.tenant_id = $1`, tid).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if dups != 0 {
		t.Errorf("%d repeat pairs within the hour", dups)
	}

	// A timezone change rebuilds the rollups; new
	// clicks of the same visitors keep the uniques exact in the new days.
	ten, err := st.Tenant(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	ten.Timezone = "Pacific/Kiritimati" // UTC+14: today's clicks move to tomorrow
	if err := st.EnsureRollups(ctx, ten); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, st, tid, ten.Timezone)
	for b := 0; b < 5; b++ {
		var batch []tracklane.Click
		for i := 0; i < 20; i++ {
			batch = append(batch, tracklane.Click{ID: fmt.Sprintf("z%d", seq.Add(1)), TenantID: tid, AffiliateID: affs[i%3].ID,
				CreatedAt: now.Add(3 * time.Hour), VisitorHash: []byte(fmt.Sprintf("visitor-%d", i*3))})
		}
		if _, err := st.RecordClicks(ctx, b%4, batch); err != nil {
			t.Fatal(err)
		}
	}
	checkRollups(t, st, tid, ten.Timezone)
}

// "Linked customers" counts people: the same email linked again (a reload
// of the thank-you page, a later purchase) counts once, on the day of its
// first link, also after the rollups are rebuilt for a new timezone.
func TestLinkedCustomersCountPeople(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Acme", Email: "o@acme.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	tid := ten.Tenant.ID
	aff, _ := svc.CreateAffiliate(ctx, tid, account.AffiliateInput{Name: "A", Email: "a@p.example", Code: "aa"})
	now := time.Now().UTC()
	if err := st.InsertClicks(ctx, []tracklane.Click{
		{ID: "k1", TenantID: tid, AffiliateID: aff.ID, CreatedAt: now.Add(-2 * time.Hour), VisitorHash: []byte("v1")},
		{ID: "k2", TenantID: tid, AffiliateID: aff.ID, CreatedAt: now.Add(-time.Hour), VisitorHash: []byte("v2")},
	}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ cid, email string }{
		{"k1", "jo@buyer.example"}, {"k1", "jo@buyer.example"}, {"k2", "jo@buyer.example"}, {"k2", "sam@buyer.example"},
	} {
		if _, err := st.CreateLink(ctx, tid, l.cid, l.email, ten.RevenueOriginID); err != nil {
			t.Fatal(err)
		}
	}
	r := tracklane.DayRange{From: now.AddDate(0, 0, -1).Truncate(24 * time.Hour), To: now.AddDate(0, 0, 2).Truncate(24 * time.Hour)}
	check := func(when string) {
		t.Helper()
		o, err := st.TenantOverview(ctx, tid, r)
		if err != nil {
			t.Fatal(err)
		}
		if o.Links != 2 {
			t.Errorf("%s: %d linked customers from 4 links of 2 emails; want 2", when, o.Links)
		}
	}
	check("as linked")
	if err := st.RebuildRollups(ctx, tid, "Pacific/Auckland"); err != nil {
		t.Fatal(err)
	}
	check("after a timezone rebuild")
}
