package store_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// A click's fields reach PostgreSQL unchanged, whatever characters they
// hold: the batch parameters are binary arrays (pgarray.go), so nothing is
// quoted or escaped on the way. Times keep their microseconds.
func TestClickFieldsRoundTrip(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 1)
	tricky := []string{``, `"`, `\`, `{}`, `a,b`, `NULL`, `{"x": [1, 2]}`, "tab\there\nnewline", `'; DROP TABLE clicks; --`,
		"ünïcødé ✓ 😀", `\\x00`, "  spaced  "}
	at := time.Date(2026, 11, 25, 10, 11, 12, 345678901, time.UTC)
	var clicks []tracklane.Click
	for i, s := range tricky {
		clicks = append(clicks, tracklane.Click{ID: "k" + string(rune('a'+i)), TenantID: tid, AffiliateID: affs[0].ID,
			CreatedAt: at.Add(time.Duration(i) * time.Second), LandingURL: "https://shop.example/?q=" + s, Referrer: s,
			UTMSource: s, UTMMedium: s + "m", UTMCampaign: s + "c", UTMTerm: s + "t", UTMContent: s + "x",
			UserAgent: s + "ua", Device: "desktop", VisitorHash: []byte{0, byte(i), '\\', '"', 0xff}})
	}
	if err := st.InsertClicks(ctx, clicks[:6]); err != nil {
		t.Fatal(err)
	}
	got, err := st.RecordClicks(ctx, 0, clicks[6:])
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		if g.ID != clicks[6+i].ID {
			t.Errorf("visit %d got click %q, want its own new click %q", 6+i, g.ID, clicks[6+i].ID)
		}
	}
	for _, want := range clicks {
		c, err := st.Click(ctx, tid, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		want.CreatedAt = want.CreatedAt.Round(time.Microsecond)
		want.VisitorHash, want.CookieCID = nil, ""
		c.CreatedAt = c.CreatedAt.UTC()
		if !reflect.DeepEqual(c, want) {
			t.Errorf("read back\n %+v\nwant\n %+v", c, want)
		}
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT id, visitor_hash FROM clicks WHERE tenant_id = $1`, tid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	hashes := map[string][]byte{}
	for rows.Next() {
		var id string
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			t.Fatal(err)
		}
		hashes[id] = h
	}
	for _, c := range clicks {
		if !bytes.Equal(hashes[c.ID], c.VisitorHash) {
			t.Errorf("click %s: visitor hash %x, want %x", c.ID, hashes[c.ID], c.VisitorHash)
		}
	}
}

// A batch naming an affiliate that its tenant does not have fails whole:
// no click of it is written.
func TestClickBatchRefusesUnknownAffiliate(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 1)
	other, otherAffs := newClickTenant(t, st, 2)
	now := time.Now()
	good := tracklane.Click{ID: "ok1", TenantID: tid, AffiliateID: affs[0].ID, CreatedAt: now, VisitorHash: []byte("v1")}
	for name, bad := range map[string]tracklane.Click{
		"unknown":          {ID: "bad1", TenantID: tid, AffiliateID: "aff_nope", CreatedAt: now, VisitorHash: []byte("v2")},
		"another tenant's": {ID: "bad2", TenantID: tid, AffiliateID: otherAffs[0].ID, CreatedAt: now, VisitorHash: []byte("v3")},
	} {
		if _, err := st.RecordClicks(ctx, 0, []tracklane.Click{good, bad}); err == nil {
			t.Errorf("%s affiliate: RecordClicks accepted it", name)
		}
		if err := st.InsertClicks(ctx, []tracklane.Click{good, bad}); err == nil {
			t.Errorf("%s affiliate: InsertClicks accepted it", name)
		}
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM clicks WHERE tenant_id IN ($1, $2)`, tid, other).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d clicks written by failed batches", n)
	}
}
