package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// LinkFacts.OwnBrowser is true only for the browser the click's own
// affiliate noted for their portal, in the look-up window, in the click's
// tenant; a second note of the same day adds no row, and notes older than
// PortalVisitorKeep are swept by the next note.
func TestLinkFactsOwnBrowser(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 2)
	mine, other := affs[0], affs[1]
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	browser, elsewhere := []byte("hash-of-the-affiliate's-browser"), []byte("hash-of-another-browser")
	if err := st.InsertClicks(ctx, []tracklane.Click{{ID: "kown", TenantID: tid, AffiliateID: mine.ID, CreatedAt: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-store.PortalVisitorKeep - 48*time.Hour)
	for _, n := range []struct {
		aff  string
		hash []byte
		at   time.Time
	}{{mine.ID, browser, old}, {mine.ID, browser, now.Add(-2 * time.Hour)}, {mine.ID, browser, now.Add(-time.Hour)},
		{other.ID, elsewhere, now.Add(-time.Hour)}} {
		if err := st.RecordPortalVisitor(ctx, tid, n.aff, n.hash, n.at); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM portal_visitors WHERE tenant_id = $1`, tid).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Errorf("%d portal visitor rows, want 2 (one per affiliate and day; the 90-day-old one swept)", rows)
	}
	otherTenant, _ := newClickTenant(t, st, 1)
	for _, tc := range []struct {
		name    string
		tenant  string
		visitor []byte
		since   time.Time
		want    bool
	}{
		{"the affiliate's own browser", tid, browser, now.Add(-24 * time.Hour), true},
		{"another affiliate's browser", tid, elsewhere, now.Add(-24 * time.Hour), false},
		{"a server-side call (no browser)", tid, nil, now.Add(-24 * time.Hour), false},
		{"a note before the window", tid, browser, now.Add(24 * time.Hour), false},
	} {
		f, err := st.LinkFacts(ctx, tc.tenant, "kown", "c@customer.example", store.Linker{Visitor: tc.visitor}, tc.since)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.OwnBrowser != tc.want || f.Affiliate != mine.ID {
			t.Errorf("%s: OwnBrowser %v (affiliate %s), want %v", tc.name, f.OwnBrowser, f.Affiliate, tc.want)
		}
	}
	if _, err := st.LinkFacts(ctx, otherTenant, "kown", "c@customer.example", store.Linker{Visitor: browser}, now.Add(-24*time.Hour)); err == nil {
		t.Error("another tenant read the click's facts")
	}
}
