package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// portalWorld writes conversions and payouts for the portal tests straight
// into their tables (the rollup triggers keep conversion_days right, as for
// every writer).
type portalWorld struct {
	t        *testing.T
	st       *store.Store
	tenantID string
	seq      int
}

func (w *portalWorld) conversion(aff string, at time.Time, cur, status string, amount, commission int64, payout string) string {
	w.t.Helper()
	w.seq++
	id := fmt.Sprintf("cv_portal_%d", w.seq)
	var payoutID any
	if payout != "" {
		payoutID = payout
	}
	_, err := w.st.DB().Exec(`INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, stripe_account, livemode,
			source_id, currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status,
			created_at, updated_at, payout_id)
		VALUES ($1, $2, $3, '', $4, 'acct_portal', true, $1, $5, $6, $6, $7, 'percent', 2000, 0, '', $8, $9, $9, $10)`,
		id, w.tenantID, aff, fmt.Sprintf("buyer%d@example.com", w.seq), cur, amount, commission, status, at, payoutID)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *portalWorld) payout(id, aff, cur, status string, at time.Time) {
	w.t.Helper()
	if _, err := w.st.DB().Exec(`INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, created_at)
		VALUES ($1, $2, $3, $4, 0, $5, $6)`, id, w.tenantID, aff, cur, status, at); err != nil {
		w.t.Fatal(err)
	}
}

// TestAffiliateSummary: commission per currency is split into pending
// (pending and disputed), approved (not in a paid payout) and paid (in a
// paid payout) over the chosen days only; another affiliate's rows, test
// conversions and those outside the range never count.
func TestAffiliateSummary(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 2)
	me, other := affs[0].ID, affs[1].ID
	w := &portalWorld{t: t, st: st, tenantID: tenantID}
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	r := tracklane.DayRange{From: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)} // 7 days

	w.payout("po_paid", me, "usd", "paid", day)
	w.payout("po_pending", me, "usd", "pending", day)
	w.payout("po_cancelled", me, "usd", "cancelled", day)
	w.payout("po_other", other, "usd", "paid", day)
	w.conversion(me, day, "usd", "pending", 1000, 100, "")
	w.conversion(me, day.Add(-time.Hour), "usd", "disputed", 1000, 50, "")
	w.conversion(me, day, "usd", "approved", 1000, 200, "")             // approved, unpaid
	w.conversion(me, day, "usd", "approved", 1000, 300, "po_pending")   // approved, payout not paid yet
	w.conversion(me, day, "usd", "approved", 1000, 400, "po_cancelled") // approved, payout cancelled
	w.conversion(me, day.AddDate(0, 0, -2), "usd", "approved", 1000, 700, "po_paid")
	w.conversion(me, day, "usd", "refunded", 0, 0, "")
	w.conversion(me, day, "usd", "test", 1000, 9000, "")                               // test: never counted
	w.conversion(me, day.AddDate(0, 0, -10), "usd", "approved", 1000, 8000, "po_paid") // outside the range
	w.conversion(me, day.AddDate(0, 0, 1), "usd", "pending", 1000, 8000, "")           // after it
	w.conversion(me, day, "eur", "approved", 1000, 150, "")
	w.conversion(other, day, "usd", "approved", 1000, 5000, "po_other")
	w.conversion(other, day, "usd", "pending", 1000, 5000, "")
	w.conversion(other, day, "gbp", "approved", 1000, 5000, "")
	if err := st.InsertClicks(ctx, []tracklane.Click{
		{ID: "k1", TenantID: tenantID, AffiliateID: me, CreatedAt: day, VisitorHash: []byte("v1")},
		{ID: "k2", TenantID: tenantID, AffiliateID: me, CreatedAt: day.Add(time.Minute), VisitorHash: []byte("v1")},
		{ID: "k3", TenantID: tenantID, AffiliateID: me, CreatedAt: day.AddDate(0, 0, -2), VisitorHash: []byte("v2")},
		{ID: "k4", TenantID: tenantID, AffiliateID: me, CreatedAt: day.AddDate(0, 0, -20), VisitorHash: []byte("v2")},
		{ID: "k5", TenantID: tenantID, AffiliateID: other, CreatedAt: day, VisitorHash: []byte("v3")},
	}); err != nil {
		t.Fatal(err)
	}

	s, err := st.AffiliateSummary(ctx, tenantID, me, r)
	if err != nil {
		t.Fatal(err)
	}
	if s.Clicks != 3 || s.Uniques != 2 {
		t.Errorf("clicks %d uniques %d, want 3 and 2", s.Clicks, s.Uniques)
	}
	// pending, disputed, 3 approved unpaid, 1 paid, refunded, eur = 8
	if s.Conversions != 8 {
		t.Errorf("conversions %d, want 8", s.Conversions)
	}
	want := []tracklane.Earnings{
		{Currency: "eur", Approved: 150},
		{Currency: "usd", Pending: 150, Approved: 900, Paid: 700},
	}
	if fmt.Sprint(s.Earnings) != fmt.Sprint(want) {
		t.Errorf("earnings %+v, want %+v", s.Earnings, want)
	}
	if len(s.Days) != 7 || s.Days[6].Clicks != 2 || s.Days[6].Conversions != 7 || s.Days[4].Clicks != 1 || s.Days[4].Conversions != 1 {
		t.Errorf("days %+v", s.Days)
	}

	// Paying the pending payout moves its commission from approved to paid.
	if _, err := st.DB().Exec(`UPDATE payouts SET status = 'paid', paid_at = now() WHERE id = 'po_pending'`); err != nil {
		t.Fatal(err)
	}
	s, err = st.AffiliateSummary(ctx, tenantID, me, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.Earnings[1]); got != fmt.Sprint(tracklane.Earnings{Currency: "usd", Pending: 150, Approved: 600, Paid: 1000}) {
		t.Errorf("after paying: %s", got)
	}

	// A 30-day range takes in the older paid conversion.
	r30 := tracklane.DayRange{From: r.To.AddDate(0, 0, -30), To: r.To}
	s, err = st.AffiliateSummary(ctx, tenantID, me, r30)
	if err != nil {
		t.Fatal(err)
	}
	if s.Earnings[1].Paid != 9000 || s.Clicks != 4 || len(s.Days) != 30 {
		t.Errorf("30 days: %+v clicks %d days %d", s.Earnings, s.Clicks, len(s.Days))
	}

	// The other affiliate sees only its own.
	s, err = st.AffiliateSummary(ctx, tenantID, other, r)
	if err != nil {
		t.Fatal(err)
	}
	want = []tracklane.Earnings{{Currency: "gbp", Approved: 5000}, {Currency: "usd", Pending: 5000, Paid: 5000}}
	if fmt.Sprint(s.Earnings) != fmt.Sprint(want) || s.Clicks != 1 || s.Conversions != 3 {
		t.Errorf("other affiliate: %+v clicks %d conversions %d", s.Earnings, s.Clicks, s.Conversions)
	}
}

// TestAffiliateSummaryTimezone: a conversion counts on its tenant-local
// day, in the paid part as in the rollups.
func TestAffiliateSummaryTimezone(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 1)
	if err := st.RebuildRollups(ctx, tenantID, "Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	w := &portalWorld{t: t, st: st, tenantID: tenantID}
	w.payout("po_1", affs[0].ID, "usd", "paid", time.Now())
	// 2026-03-10 20:00 UTC is 2026-03-11 05:00 in Tokyo.
	w.conversion(affs[0].ID, time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC), "usd", "approved", 1000, 100, "po_1")
	day := func(d int) tracklane.DayRange {
		return tracklane.DayRange{From: time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, d+1, 0, 0, 0, 0, time.UTC)}
	}
	for d, want := range map[int]int64{10: 0, 11: 100} {
		s, err := st.AffiliateSummary(ctx, tenantID, affs[0].ID, day(d))
		if err != nil {
			t.Fatal(err)
		}
		var paid, approved int64
		for _, e := range s.Earnings {
			paid, approved = paid+e.Paid, approved+e.Approved
		}
		if paid != want || approved != 0 || s.Conversions != want/100 {
			t.Errorf("day %d: paid %d approved %d conversions %d, want paid %d", d, paid, approved, s.Conversions, want)
		}
	}
}

// TestAffiliateConversions pages one affiliate's conversions, newest first,
// without test ones and without another affiliate's.
func TestAffiliateConversions(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 2)
	w := &portalWorld{t: t, st: st, tenantID: tenantID}
	w.payout("po_1", affs[0].ID, "usd", "paid", time.Now())
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var mine []string
	for i := 0; i < 5; i++ {
		payout := ""
		if i == 0 {
			payout = "po_1"
		}
		mine = append(mine, w.conversion(affs[0].ID, base.Add(time.Duration(i)*time.Hour), "usd", "approved", 1000, 100, payout))
		w.conversion(affs[1].ID, base.Add(time.Duration(i)*time.Hour), "usd", "approved", 1000, 100, "")
	}
	w.conversion(affs[0].ID, base.Add(10*time.Hour), "usd", "test", 1000, 100, "")

	var got []tracklane.PortalConversion
	p := store.Page{Limit: 2}
	for {
		page, err := st.AffiliateConversions(ctx, tenantID, affs[0].ID, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if len(page) < p.Limit {
			break
		}
		last := page[len(page)-1]
		p.After = &store.Cursor{Time: last.CreatedAt, ID: last.ID}
	}
	if len(got) != 5 {
		t.Fatalf("got %d conversions, want 5: %+v", len(got), got)
	}
	for i, c := range got {
		if c.ID != mine[4-i] {
			t.Errorf("row %d is %s, want %s", i, c.ID, mine[4-i])
		}
		if c.Paid != (c.ID == mine[0]) {
			t.Errorf("row %s paid %v", c.ID, c.Paid)
		}
		if c.Customer == "" || c.Commission != 100 {
			t.Errorf("row %+v", c)
		}
	}
	// An affiliate id of another tenant reads nothing.
	other, _ := newClickTenant(t, st, 1)
	if page, err := st.AffiliateConversions(ctx, other, affs[0].ID, store.Page{Limit: 10}); err != nil || len(page) != 0 {
		t.Errorf("another tenant: %v %v", page, err)
	}
}

// TestSetAffiliatePayoutEmail changes only that affiliate's payout email,
// and only within its tenant.
func TestSetAffiliatePayoutEmail(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 2)
	a, err := st.SetAffiliatePayoutEmail(ctx, tenantID, affs[0].ID, "pay@me.example", nil)
	if err != nil || a.PayoutEmail != "pay@me.example" {
		t.Fatalf("%+v %v", a, err)
	}
	b, err := st.Affiliate(ctx, tenantID, affs[1].ID)
	if err != nil || b.PayoutEmail != "" {
		t.Fatalf("other affiliate changed: %+v %v", b, err)
	}
	otherTenant, _ := newClickTenant(t, st, 1)
	if _, err := st.SetAffiliatePayoutEmail(ctx, otherTenant, affs[0].ID, "x@y.example", nil); err == nil {
		t.Fatal("another tenant's affiliate was changed")
	}
}
