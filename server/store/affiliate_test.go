package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	migratepg "github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/tracklane/tracklane/migrations"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

func newTenant(t *testing.T, st *store.Store, id string) {
	t.Helper()
	if _, err := st.CreateTenant(context.Background(), store.NewTenant{ID: id, Name: id, Email: id + "@owner.example",
		PasswordHash: "x", TokenName: "t", TokenHash: []byte(id), TokenHint: "abcd", OriginID: id + "-origin"}); err != nil {
		t.Fatal(err)
	}
}

// One email, one affiliate per tenant: a second one is a conflict whether
// created or edited into it; another tenant may have the same email.
func TestAffiliateEmailUniqueInTenant(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	newTenant(t, st, "tn_a")
	newTenant(t, st, "tn_b")
	aff := func(tenant, id, email string) tracklane.Affiliate {
		return tracklane.Affiliate{ID: id, TenantID: tenant, Name: id, Email: email, Code: id}
	}
	if _, err := st.CreateAffiliate(ctx, aff("tn_a", "af-1", "alice@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAffiliate(ctx, aff("tn_a", "af-2", "alice@example.com")); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a second affiliate with the same email: %v, want a conflict", err)
	}
	if _, err := st.CreateAffiliate(ctx, aff("tn_b", "af-3", "alice@example.com")); err != nil {
		t.Errorf("another tenant's affiliate with the same email: %v", err)
	}
	if _, err := st.CreateAffiliate(ctx, aff("tn_a", "af-4", "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateAffiliate(ctx, aff("tn_a", "af-4", "alice@example.com")); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("editing an affiliate to another's email: %v, want a conflict", err)
	}
}

// Migration 0009 cannot fail on an instance that already has the same
// email twice in a tenant: both affiliates stay, the younger one keeps its
// email while it keeps it, and no new duplicate can be made.
func TestMigrationKeepsExistingDuplicateEmails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.NewDatabase(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrateTo(t, db, 8)
	if _, err := db.ExecContext(ctx, `INSERT INTO tenants (id, name) VALUES ('tn_old', 'Old');
		INSERT INTO affiliates (id, tenant_id, name, email, code, created_at) VALUES
			('af-first', 'tn_old', 'First', 'dup@example.com', 'first', now() - interval '2 days'),
			('af-second', 'tn_old', 'Second', 'dup@example.com', 'second', now() - interval '1 day')`); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(ctx, dsn, storetest.Logger(t)) // applies 0009 and later
	if err != nil {
		t.Fatalf("migrating a database with duplicate emails: %v", err)
	}
	defer st.Close()
	second, err := st.Affiliate(ctx, "tn_old", "af-second")
	if err != nil || second.Email != "dup@example.com" {
		t.Fatalf("the younger duplicate: %+v %v", second, err)
	}
	if _, err := st.CreateAffiliate(ctx, tracklane.Affiliate{ID: "af-third", TenantID: "tn_old", Name: "Third",
		Email: "dup@example.com", Code: "third"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a third affiliate with the email: %v, want a conflict", err)
	}
	second.Name = "Second, renamed"
	if _, err := st.UpdateAffiliate(ctx, second); err != nil {
		t.Errorf("saving the younger duplicate unchanged in its email: %v", err)
	}
	second.Email = "second@example.com"
	if _, err := st.UpdateAffiliate(ctx, second); err != nil {
		t.Fatalf("moving the younger duplicate to an email of its own: %v", err)
	}
	second.Email = "dup@example.com"
	if _, err := st.UpdateAffiliate(ctx, second); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("moving it back onto the taken email: %v, want a conflict", err)
	}
}

// migrateTo applies the embedded migrations up to version v.
func migrateTo(t *testing.T, db *sql.DB, v uint) {
	t.Helper()
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
	if err := m.Migrate(v); err != nil {
		t.Fatalf("migrating to %d: %v", v, err)
	}
}
