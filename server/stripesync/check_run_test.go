package stripesync

import (
	"testing"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestStartCursor(t *testing.T) {
	for _, tc := range []struct {
		name string
		conn tracklane.StripeConnection
		want store.CursorUpdate
	}{
		{"new connection: everything", tracklane.StripeConnection{}, store.CursorUpdate{BackfillAfter: "*"}},
		{"forward", tracklane.StripeConnection{CursorEventID: "evt_9", CursorCreated: 9}, store.CursorUpdate{EventID: "evt_9", Created: 9}},
		{"backfill under way", tracklane.StripeConnection{CursorEventID: "evt_9", CursorCreated: 9, BackfillAfter: "evt_5", BackfillSince: 3},
			store.CursorUpdate{EventID: "evt_9", Created: 9, BackfillAfter: "evt_5", BackfillSince: 3}},
	} {
		if got := startCursor(tc.conn); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestAfterBackfillPage(t *testing.T) {
	page := []Event{{ID: "evt_9", Created: 9}, {ID: "evt_8", Created: 8}} // newest first
	for _, tc := range []struct {
		name string
		cur  store.CursorUpdate
		p    pageResult
		want store.CursorUpdate
	}{
		{"first page of a new connection: its head starts forward reading",
			store.CursorUpdate{BackfillAfter: "*"}, pageResult{events: page, more: true},
			store.CursorUpdate{EventID: "evt_9", Created: 9, BackfillAfter: "evt_8"}},
		{"last page ends the backfill",
			store.CursorUpdate{EventID: "evt_20", Created: 20, BackfillAfter: "evt_10"}, pageResult{events: page},
			store.CursorUpdate{EventID: "evt_20", Created: 20}},
		{"a forgotten cursor's backfill sets a new head and keeps its bound while more follow",
			store.CursorUpdate{BackfillAfter: "*", BackfillSince: 5}, pageResult{events: page, more: true},
			store.CursorUpdate{EventID: "evt_9", Created: 9, BackfillAfter: "evt_8", BackfillSince: 5}},
		{"the head is set once",
			store.CursorUpdate{EventID: "evt_30", Created: 30, BackfillAfter: "*", BackfillSince: 5}, pageResult{events: page},
			store.CursorUpdate{EventID: "evt_30", Created: 30}},
		{"an empty account: nothing to read, ever",
			store.CursorUpdate{BackfillAfter: "*"}, pageResult{},
			store.CursorUpdate{}},
	} {
		if got := afterBackfillPage(tc.cur, tc.p); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
