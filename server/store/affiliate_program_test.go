package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepg "github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/tracklane/tracklane/migrations"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// migrator gives a new empty database: its DSN, a connection, and the
// migrations to move it by hand.
func migrator(t *testing.T) (string, *sql.DB, *migrate.Migrate) {
	t.Helper()
	dsn := storetest.NewDatabase(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	drv, err := migratepg.WithInstance(db, &migratepg.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, db, m
}

// TestPortalMigrationGivesExistingTenantsSlugs migrates to the schema
// before the portal, adds tenants, and migrates on: each gets a unique
// slug made from its name.
func TestPortalMigrationGivesExistingTenantsSlugs(t *testing.T) {
	dsn, db, m := migrator(t)
	if err := m.Migrate(15); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Acme Corp", "acme corp!", "Ünïcode", "x", "A Very Long Company Name That Goes On And On Forever"} {
		if _, err := db.Exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)`,
			"tn_"+string(rune('a'+i)), name, time.Now().Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), dsn, storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]string{"tn_a": "acme-corp", "tn_b": "acme-corp-2", "tn_c": "n-code", "tn_d": "program",
		"tn_e": "a-very-long-company-name-that"}
	for id, slug := range want {
		tt, err := st.Tenant(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if tt.Slug != slug || tt.AffiliateApproval != tracklane.ApprovalManual || !tracklane.ValidSlug(tt.Slug) {
			t.Errorf("%s: slug %q approval %q, want %q manual", id, tt.Slug, tt.AffiliateApproval, slug)
		}
	}
}

func TestApplyAffiliateWritesItsMailsInItsTransaction(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	ten, err := st.CreateTenant(ctx, store.NewTenant{ID: "tn_mail", Name: "Mail Shop", Email: "m@example.com", PasswordHash: "x",
		TokenName: "t", TokenHash: []byte("h"), OriginID: "or_1"})
	if err != nil {
		t.Fatal(err)
	}
	if ten.Slug != "mail-shop" {
		t.Fatalf("slug %q", ten.Slug)
	}
	app := tracklane.Application{
		Affiliate:    tracklane.Affiliate{ID: "af_1", TenantID: ten.ID, Name: "A", Email: "a@example.com", Code: "code-a", Status: tracklane.AffiliatePending},
		PasswordHash: "hash",
		Mails:        []mail.Message{{TenantID: ten.ID, Kind: mail.KindApplicationReceived, To: "m@example.com", Subject: "s", Text: "t"}},
		MemberMail:   mail.Message{TenantID: ten.ID, Kind: mail.KindMemberApplied, To: "a@example.com", Subject: "s", Text: "t"},
	}
	if _, err := st.ApplyAffiliate(ctx, app); err != nil {
		t.Fatal(err)
	}
	// A taken code rolls back the applicant and its mail together.
	app2 := app
	app2.Affiliate.ID, app2.Affiliate.Email = "af_2", "b@example.com"
	if _, err := st.ApplyAffiliate(ctx, app2); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("taken code: %v", err)
	}
	// The same email again: no affiliate, the member mail instead.
	app3 := app
	app3.Affiliate.ID, app3.Affiliate.Code = "af_3", "code-c"
	if _, err := st.ApplyAffiliate(ctx, app3); err != store.ErrMember {
		t.Fatalf("member: %v", err)
	}
	var received, member, affs int
	if err := st.DB().QueryRow(`SELECT (SELECT count(*) FROM mail_outbox WHERE kind = 'application_received'),
		(SELECT count(*) FROM mail_outbox WHERE kind = 'member_applied'), (SELECT count(*) FROM affiliates)`).Scan(&received, &member, &affs); err != nil {
		t.Fatal(err)
	}
	if received != 1 || member != 1 || affs != 1 {
		t.Fatalf("received %d, member %d, affiliates %d; want 1, 1, 1", received, member, affs)
	}
}

// A program's old slug stays its own for 90 days after a rename: another
// program can neither take it (409, as for a live slug) nor be given it at
// sign-up, so the links that name it keep reaching the program that
// issued them; the program itself may take it back. After 90 days it is
// free, and a live slug wins over the old alias.
func TestRenamedSlugIsReservedFor90Days(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	newTenant := func(id, name string) tracklane.Tenant {
		t.Helper()
		ten, err := st.CreateTenant(ctx, store.NewTenant{ID: id, Name: name, Email: id + "@example.com", PasswordHash: "x",
			TokenName: "t", TokenHash: []byte(id), OriginID: "or_" + id})
		if err != nil {
			t.Fatal(err)
		}
		return ten
	}
	rename := func(ten tracklane.Tenant, slug string) (tracklane.Tenant, error) {
		ten.Slug = slug
		return st.UpdateTenantSettings(ctx, ten)
	}
	a := newTenant("tn_a", "Acme")
	a, err := rename(a, "acme-partners")
	if err != nil {
		t.Fatal(err)
	}
	b := newTenant("tn_b", "Bolt")
	if _, err := rename(b, "acme"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("another program took a slug renamed a moment ago: %v", err)
	}
	if c := newTenant("tn_c", "Acme"); c.Slug != "acme-2" {
		t.Errorf("a new program named Acme got %q, want acme-2", c.Slug)
	}
	if got, err := st.TenantBySlug(ctx, "acme"); err != nil || got.ID != a.ID {
		t.Errorf("/p/acme finds %q (%v), want %s", got.ID, err, a.ID)
	}
	// The program itself takes it back, and gives up acme-partners.
	if a, err = rename(a, "acme"); err != nil {
		t.Fatalf("taking back the own old slug: %v", err)
	}
	if _, err := rename(b, "acme-partners"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("another program took acme-partners: %v", err)
	}
	// 90 days on, the alias is free.
	if _, err := st.DB().ExecContext(ctx, `UPDATE tenant_slug_aliases SET created_at = now() - interval '90 days 1 minute'`); err != nil {
		t.Fatal(err)
	}
	if b, err = rename(b, "acme-partners"); err != nil {
		t.Fatalf("after 90 days: %v", err)
	}
	if got, err := st.TenantBySlug(ctx, "acme-partners"); err != nil || got.ID != b.ID {
		t.Errorf("/p/acme-partners finds %q (%v), want %s (a live slug wins)", got.ID, err, b.ID)
	}
}
