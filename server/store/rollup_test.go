package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/storetest"
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
	click := func(id string, aff store.Affiliate, at time.Time, visitor string) store.Click {
		return store.Click{ID: id, TenantID: tid, AffiliateID: aff.ID, CreatedAt: at, VisitorHash: []byte(visitor)}
	}
	// Day 1: visitor v1 twice (once per affiliate), v2 once — in one batch.
	if err := st.InsertClicks(ctx, []store.Click{
		click("c1", a1, day.Add(1*time.Hour), "v1"),
		click("c2", a2, day.Add(2*time.Hour), "v1"),
		click("c3", a1, day.Add(3*time.Hour), "v2"),
	}); err != nil {
		t.Fatal(err)
	}
	// Day 1 again, a later batch: v1 a third time; day 2 (23:30 UTC): v1.
	if err := st.InsertClicks(ctx, []store.Click{
		click("c4", a1, day.Add(20*time.Hour), "v1"),
		click("c5", a1, day.Add(47*time.Hour+30*time.Minute), "v1"),
	}); err != nil {
		t.Fatal(err)
	}
	r := store.DayRange{From: day, To: day.AddDate(0, 0, 2)}
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
	want := []store.Money{
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
	o, err = st.TenantOverview(ctx, tid, store.DayRange{From: day, To: day.AddDate(0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Clicks != 5 || o.Days[0].Clicks != 4 || o.Days[1].Clicks != 0 || o.Days[2].Clicks != 1 || o.Conversions != 3 {
		t.Fatalf("after rebuild %+v", o)
	}
	// New writes land in Berlin days too.
	if err := st.InsertClicks(ctx, []store.Click{click("c6", a2, day.Add(23*time.Hour+30*time.Minute), "v9")}); err != nil {
		t.Fatal(err)
	}
	o, _ = st.TenantOverview(ctx, tid, store.DayRange{From: day, To: day.AddDate(0, 0, 3)})
	if o.Days[1].Clicks != 1 {
		t.Fatalf("Berlin day 2 %+v", o.Days)
	}
}
