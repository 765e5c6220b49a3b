package store_test

import (
	"context"
	"testing"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// During a rolling upgrade the previous release may (re)start on a schema
// the new release already migrated: it must start, not refuse.
func TestOpenOnANewerSchema(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	ctx := context.Background()
	if _, err := st.DB().ExecContext(ctx, `UPDATE schema_migrations SET version = version + 100`); err != nil {
		t.Fatal(err)
	}
	again, err := store.Open(ctx, dsn, storetest.Logger(t))
	if err != nil {
		t.Fatalf("an older release could not start on a newer schema: %v", err)
	}
	defer again.Close()
	var v int
	if err := again.DB().QueryRowContext(ctx, `SELECT version FROM schema_migrations`).Scan(&v); err != nil || v < 100 {
		t.Errorf("schema version %d %v: the newer schema was touched", v, err)
	}
	if err := again.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
