package tracking_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// Identical requests arriving together (a double submit, a retrying
// client) become one click: whether they share a batch or land in
// consecutive ones, every answer carries the same cid and one row exists.
func TestConcurrentIdenticalClicksShareOneClick(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "burst")

	for round := 0; round < 3; round++ {
		ua := fmt.Sprintf("Mozilla/5.0 Burst/%d", round)
		const n = 40
		cids := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, ans := click(t, a, ten.ID, "burst", ua)
				if status != http.StatusOK {
					t.Errorf("status %d", status)
				}
				cids[i] = ans.CID
			}()
		}
		wg.Wait()
		for _, c := range cids {
			if c != cids[0] {
				t.Fatalf("round %d: answers carry different cids: %v", round, cids)
			}
		}
		if got := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE tenant_id = $1 AND user_agent = $2`, ten.ID, ua); got != 1 {
			t.Fatalf("round %d: %d rows for %d identical requests, want 1", round, got, n)
		}
	}
	if got := a.QueryInt(t, `SELECT coalesce(sum(clicks), 0) FROM click_days WHERE tenant_id = $1`, ten.ID); got != 3 {
		t.Errorf("click_days counts %d clicks, want 3", got)
	}
}

// Concurrent requests of many visitors, some of them repeats, some by
// cookie, are each answered with a committed click, and the rollups agree
// with the rows.
func TestConcurrentMixedClicks(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "mix-a")
	a.NewAffiliate(t, ten.ID, "mix-b")

	_, first := click(t, a, ten.ID, "mix-a", "Mozilla/5.0 Seed")
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := map[string]bool{}
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			aff := []string{"mix-a", "mix-b"}[i%2]
			ua := fmt.Sprintf("Mozilla/5.0 Visitor/%d", i%30) // each visitor 4 times, twice per affiliate
			var extra []string
			if i%7 == 0 {
				extra = append(extra, fmt.Sprintf(`,"cid":%q`, first.CID)) // mix-a: the seed click
			}
			status, ans := click(t, a, ten.ID, aff, ua, extra...)
			if status != http.StatusOK {
				t.Errorf("status %d", status)
				return
			}
			mu.Lock()
			answered[ans.CID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for cid := range answered {
		if a.QueryInt(t, `SELECT count(*) FROM clicks WHERE id = $1`, cid) != 1 {
			t.Errorf("answered cid %s has no row", cid)
		}
	}
	// 30 visitors × 2 affiliates, plus the seed; cookie visits to mix-a
	// reuse the seed, to mix-b they are plain visits.
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE tenant_id = $1`, ten.ID); n > 61 || n < 31 {
		t.Errorf("%d click rows", n)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM (SELECT affiliate_id, visitor_hash FROM clicks WHERE tenant_id = $1
		GROUP BY 1, 2 HAVING count(*) > 1) x`, ten.ID); n != 0 {
		t.Errorf("%d visitor/affiliate pairs have more than one click within the hour", n)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM (SELECT day, sum(clicks) AS clicks, sum(uniques) AS uniques FROM click_days
		WHERE tenant_id = $1 GROUP BY 1) r FULL JOIN (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS clicks,
		count(DISTINCT visitor_hash) AS uniques FROM clicks WHERE tenant_id = $1 GROUP BY 1) c USING (day)
		WHERE r.clicks IS DISTINCT FROM c.clicks OR r.uniques IS DISTINCT FROM c.uniques`, ten.ID); n != 0 {
		t.Errorf("click_days disagrees with the clicks on %d days", n)
	}
}
