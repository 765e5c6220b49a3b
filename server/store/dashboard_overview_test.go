package store_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TopAffiliates ranks by conversions, then clicks, then id, for every
// limit: when enough affiliates have conversions it sums the clicks of the
// candidates only, and the ties at the limit-th place must still be broken
// by clicks; when too few have, affiliates with clicks alone fill the rest.
func TestTopAffiliatesRanking(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 10)
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	r := tracklane.DayRange{From: day, To: day.AddDate(0, 0, 3)}
	type activity struct{ clicks, conversions, test int }
	in := []activity{
		{5, 3, 0},
		{2, 3, 0}, // ties with 0 on conversions, fewer clicks
		{7, 1, 0},
		{4, 1, 0},
		{4, 1, 0}, // ties with 3 on both: the id decides
		{9, 0, 2}, // test conversions only: ranked by its clicks
		{1, 0, 0},
		{0, 1, 0}, // a conversion without a click in the period
		{0, 0, 0}, // nothing left: its one conversion is deleted (below)
		{0, 0, 0}, // active only outside the period (below)
	}
	var clicks []tracklane.Click
	seq := 0
	addClick := func(a tracklane.Affiliate, at time.Time) {
		seq++
		clicks = append(clicks, tracklane.Click{ID: fmt.Sprintf("k%d", seq), TenantID: tid, AffiliateID: a.ID,
			CreatedAt: at, VisitorHash: []byte(fmt.Sprintf("visitor-%d", seq))})
	}
	addConversion := func(a tracklane.Affiliate, status string, at time.Time) {
		t.Helper()
		seq++
		insertConversion(t, st, tid, a.ID, fmt.Sprintf("cv%d", seq), status, at)
	}
	for i, act := range in {
		for n := 0; n < act.clicks; n++ {
			addClick(affs[i], day.Add(time.Duration(n*7+i)*time.Hour))
		}
		for n := 0; n < act.conversions; n++ {
			addConversion(affs[i], "pending", day.Add(time.Duration(n*5+i)*time.Hour))
		}
		for n := 0; n < act.test; n++ {
			addConversion(affs[i], "test", day.Add(time.Duration(n+i)*time.Hour))
		}
	}
	for _, at := range []time.Time{day.Add(-time.Hour), r.To.Add(time.Hour)} {
		for n := 0; n < 4; n++ {
			addClick(affs[9], at)
			addConversion(affs[9], "approved", at)
		}
	}
	if err := st.InsertClicks(ctx, clicks); err != nil {
		t.Fatal(err)
	}
	// A deleted conversion leaves its rollup rows at zero: no candidate.
	addConversion(affs[8], "pending", day)
	if _, err := st.DB().ExecContext(ctx, `DELETE FROM conversions WHERE tenant_id = $1 AND affiliate_id = $2`, tid, affs[8].ID); err != nil {
		t.Fatal(err)
	}

	// The ranking, worked out here from the activity above.
	order := []int{0, 1, 2, 3, 4, 7, 5, 6}
	slices.SortStableFunc(order[3:5], func(a, b int) int { return strings.Compare(affs[a].ID, affs[b].ID) })
	var want []string
	for _, i := range order {
		want = append(want, fmt.Sprintf("%s %d/%d", affs[i].ID, in[i].conversions, in[i].clicks))
	}
	checkTop(t, st, tid, r, len(in), want)
}

// On random activity with many ties, over periods of a few days to
// months, every limit's ranking equals one worked out from the raw clicks
// and conversions (test conversions and status changes included).
func TestTopAffiliatesMatchAFullRanking(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 12)
	rng := rand.New(rand.NewPCG(7, 24))
	start := time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)
	type event struct {
		aff        int
		day        time.Time
		conversion bool
	}
	var events []event
	var clicks []tracklane.Click
	for i := range affs {
		// Few events each, so that counts tie often.
		for n := rng.IntN(8); n > 0; n-- {
			day := start.AddDate(0, 0, rng.IntN(120))
			at := day.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			if rng.IntN(2) == 0 {
				events = append(events, event{i, day, false})
				clicks = append(clicks, tracklane.Click{ID: fmt.Sprintf("k%d", len(events)), TenantID: tid, AffiliateID: affs[i].ID,
					CreatedAt: at, VisitorHash: []byte(fmt.Sprintf("visitor-%d", len(events)))})
				continue
			}
			events = append(events, event{i, day, true})
			insertConversion(t, st, tid, affs[i].ID, fmt.Sprintf("cv%d", len(events)), "pending", at)
			if rng.IntN(4) == 0 { // a test conversion on the side: never counted
				insertConversion(t, st, tid, affs[i].ID, fmt.Sprintf("cv%d-test", len(events)), "test", at)
			}
		}
	}
	if err := st.InsertClicks(ctx, clicks); err != nil {
		t.Fatal(err)
	}
	// Status changes move a conversion between rollup rows, not out of the count.
	if _, err := st.DB().ExecContext(ctx, `UPDATE conversions SET status = 'approved' WHERE tenant_id = $1 AND id LIKE '%1'`, tid); err != nil {
		t.Fatal(err)
	}

	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, r := range []tracklane.DayRange{
		{From: day(4, 12), To: day(4, 26)},
		{From: day(5, 1), To: day(6, 1)},
		{From: day(5, 20), To: day(6, 10)},
		{From: day(4, 20), To: day(7, 10)},
		{From: day(3, 1), To: day(8, 1)}, // everything
	} {
		type totals struct{ clicks, conversions int64 }
		byAff := map[int]*totals{}
		for _, e := range events {
			if e.day.Before(r.From) || !e.day.Before(r.To) {
				continue
			}
			if byAff[e.aff] == nil {
				byAff[e.aff] = &totals{}
			}
			if e.conversion {
				byAff[e.aff].conversions++
			} else {
				byAff[e.aff].clicks++
			}
		}
		var ranked []int
		for i := range byAff {
			ranked = append(ranked, i)
		}
		slices.SortFunc(ranked, func(a, b int) int {
			return cmp.Or(cmp.Compare(byAff[b].conversions, byAff[a].conversions), cmp.Compare(byAff[b].clicks, byAff[a].clicks),
				strings.Compare(affs[a].ID, affs[b].ID))
		})
		var want []string
		for _, i := range ranked {
			want = append(want, fmt.Sprintf("%s %d/%d", affs[i].ID, byAff[i].conversions, byAff[i].clicks))
		}
		checkTop(t, st, tid, r, len(affs), want)
	}
}

// checkTop compares TopAffiliates over r, for every limit up to maxLimit,
// with the head of the full ranking want ("id conversions/clicks").
func checkTop(t *testing.T, st *store.Store, tenantID string, r tracklane.DayRange, maxLimit int, want []string) {
	t.Helper()
	for limit := 1; limit <= maxLimit; limit++ {
		top, err := st.TopAffiliates(context.Background(), tenantID, r, limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range top {
			got = append(got, fmt.Sprintf("%s %d/%d", a.AffiliateID, a.Conversions, a.Clicks))
		}
		if w := want[:min(limit, len(want))]; !slices.Equal(got, w) {
			t.Errorf("%s – %s, limit %d:\n got %v\nwant %v", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), limit, got, w)
		}
	}
}

// insertConversion writes a conversion of 10.00 usd straight into the
// table, so that only the rollup triggers act on it.
func insertConversion(t *testing.T, st *store.Store, tenantID, affiliateID, id, status string, at time.Time) {
	t.Helper()
	if _, err := st.DB().ExecContext(context.Background(), `INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid,
		stripe_account, livemode, source_id, currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency,
		status, created_at, updated_at)
		VALUES ($1, $2, $3, 'k1', 'x@y.example', 'acct', true, $1, 'usd', 1000, 1000, 200, 'percent', 2000, 0, '', $4, $5, $5)`,
		id, tenantID, affiliateID, status, at); err != nil {
		t.Fatal(err)
	}
}
