// Package storetest gives each test its own freshly migrated PostgreSQL
// database, created under a unique name and dropped when the test ends, so
// test packages can run in parallel against one server.
//
// It is test support only (see package testkit); the durability benchmark
// in bench/ uses it too.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/store"
)

// BaseURL is the server tests use: TEST_DATABASE_URL, or the local
// PostgreSQL with trust auth.
func BaseURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty database with a unique name and returns its
// URL; it is dropped (connections forced closed) when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "tracklane_test_" + hex.EncodeToString(b)
	base, err := url.Parse(BaseURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	admin, err := sql.Open("postgres", base.String())
	if err != nil {
		t.Fatalf("opening admin connection: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		t.Fatalf("creating test database (is PostgreSQL running on 127.0.0.1:5432?): %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// New returns a Store on a fresh, migrated database, closed when the test
// ends, and the database's URL.
func New(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := NewDatabase(t)
	st, err := store.Open(context.Background(), dsn, Logger(t))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dsn
}

// Logger returns a logger that writes to the test log only when the test
// fails or runs verbosely.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// MissingDatabase returns the URL of a database that does not exist yet
// (for testing creation on start); it is dropped when the test ends, if it
// was created.
func MissingDatabase(t testing.TB) string {
	t.Helper()
	dsn := NewDatabase(t)
	u, _ := url.Parse(dsn)
	name := u.Path[1:]
	admin, err := sql.Open("postgres", BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`DROP DATABASE ` + pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("dropping %s: %v", name, err)
	}
	return dsn
}
