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

// LinkFacts.NetworkEmails counts the distinct emails linked from one
// network hash since the window's start, this one included, in the
// tenant only; a server-side call (no network) counts just its own.
func TestLinkFactsCountEmailsPerNetwork(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tid, affs := newClickTenant(t, st, 1)
	otherTenant, otherAffs := newClickTenant(t, st, 2)
	now := time.Now().UTC()
	var clicks []tracklane.Click
	for i := range 6 {
		clicks = append(clicks, tracklane.Click{ID: fmt.Sprintf("knet%d", i), TenantID: tid, AffiliateID: affs[0].ID, CreatedAt: now.Add(-time.Hour)})
	}
	clicks = append(clicks, tracklane.Click{ID: "knet-other", TenantID: otherTenant, AffiliateID: otherAffs[0].ID, CreatedAt: now.Add(-time.Hour)})
	if err := st.InsertClicks(ctx, clicks); err != nil {
		t.Fatal(err)
	}
	net, elsewhere := []byte("hash-of-a-network"), []byte("hash-of-another-network")
	for i, l := range []struct {
		tenant, click, email string
		by                   store.Linker
	}{
		{tid, "knet0", "a@customer.example", store.Linker{Visitor: []byte("browser-1"), Network: net}},
		{tid, "knet1", "b@customer.example", store.Linker{Visitor: []byte("browser-2"), Network: net}},
		{tid, "knet2", "b@customer.example", store.Linker{Visitor: []byte("browser-3"), Network: net}}, // the same email again
		{tid, "knet3", "c@customer.example", store.Linker{Visitor: []byte("browser-4"), Network: elsewhere}},
		{otherTenant, "knet-other", "d@customer.example", store.Linker{Visitor: []byte("browser-5"), Network: net}},
	} {
		if _, err := st.CreateLinkFrom(ctx, l.tenant, l.click, l.email, "", l.by, nil); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	for _, tc := range []struct {
		name  string
		email string
		by    store.Linker
		since time.Time
		want  int
	}{
		{"a new email from the network", "e@customer.example", store.Linker{Network: net}, now.Add(-24 * time.Hour), 3},
		{"an email the network linked before", "a@customer.example", store.Linker{Network: net}, now.Add(-24 * time.Hour), 2},
		{"another network", "e@customer.example", store.Linker{Network: elsewhere}, now.Add(-24 * time.Hour), 2},
		{"a server-side call", "e@customer.example", store.Linker{}, now.Add(-24 * time.Hour), 1},
		{"links before the window", "e@customer.example", store.Linker{Network: net}, now.Add(time.Minute), 1},
	} {
		f, err := st.LinkFacts(ctx, tid, "knet5", tc.email, tc.by, tc.since)
		if err != nil {
			t.Fatal(err)
		}
		if f.NetworkEmails != tc.want {
			t.Errorf("%s: %d emails from the network, want %d", tc.name, f.NetworkEmails, tc.want)
		}
	}
}

// Migration 0021 cleans the names stored before the rule as
// tracklane.CleanName would.
func TestTrustMigrationCleansStoredNames(t *testing.T) {
	t.Parallel()
	_, db, m := migrator(t)
	if err := m.Migrate(20); err != nil {
		t.Fatal(err)
	}
	names := []string{"Eve\r\nBcc: x@evil.example\x1b[31m", "\u202egnp.exe Shop\u2066", "Tab\tand\u00a0nbsp\u2028line", "Plain Shop", "Zoë Ångström 李"}
	for i, name := range names {
		id := fmt.Sprintf("tn_%c", 'a'+i)
		if _, err := db.Exec(`INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)`, id, name, fmt.Sprintf("shop-%c", 'a'+i)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO affiliates (id, tenant_id, name, email, code) VALUES ($1, $2, $3, $4, $5)`,
			"af_"+id, id, name, id+"@partners.example", fmt.Sprintf("code-%c", 'a'+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Migrate(21); err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		id := fmt.Sprintf("tn_%c", 'a'+i)
		var tenant, affiliate string
		if err := db.QueryRow(`SELECT t.name, a.name FROM tenants t JOIN affiliates a ON a.tenant_id = t.id WHERE t.id = $1`, id).Scan(&tenant, &affiliate); err != nil {
			t.Fatal(err)
		}
		if want := tracklane.CleanName(name); tenant != want || affiliate != want {
			t.Errorf("%q: tenant %q, affiliate %q, want %q", name, tenant, affiliate, want)
		}
	}
	// And back down, and up again.
	if err := m.Migrate(20); err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(21); err != nil {
		t.Fatal(err)
	}
}
