// Package store is Tracklane's PostgreSQL storage: one Store, one file per
// entity, raw parameterised SQL. Every method that touches tenant data takes
// the tenant id and scopes its queries by it. Errors come back as apperr
// codes (not_found, conflict, …) or wrapped driver errors (internal).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepg "github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/lib/pq"

	"github.com/tracklane/tracklane/migrations"
	"github.com/tracklane/tracklane/server/apperr"
)

// Store is the database. Create it with Open; it is safe for concurrent use.
type Store struct {
	db  *sql.DB
	log *slog.Logger
	// recordClicks is the click batch statement (recordClicksSQL), prepared
	// once: database/sql prepares it again on each new connection, and
	// PostgreSQL re-plans it after a schema change.
	recordClicks *sql.Stmt
	// dsn is the database's connection string, for the connection that
	// listens for notifications (tracker_changes.go).
	dsn string
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Open connects to dsn, creating the database if it does not exist, applies
// all migrations, and returns the Store.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	return open(ctx, dsn, log, true)
}

// OpenExisting is Open for a database that must already exist: a missing
// one is an error (not_found) naming it, and nothing is created. Commands
// that change an existing instance use it, so a typo in DATABASE_URL
// cannot make and migrate a new, empty database.
func OpenExisting(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	return open(ctx, dsn, log, false)
}

func open(ctx context.Context, dsn string, log *slog.Logger, create bool) (*Store, error) {
	if err := ensureDatabase(ctx, dsn, create); err != nil {
		return nil, err
	}
	db, err := sql.Open("postgres", withBinaryParameters(dsn))
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	if err := migrateUp(db, log); err != nil {
		db.Close()
		return nil, err
	}
	recordClicks, err := db.PrepareContext(ctx, recordClicksSQL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the click batch statement: %w", err)
	}
	return &Store{db: db, log: log, recordClicks: recordClicks, dsn: dsn, Now: time.Now}, nil
}

// withBinaryParameters turns on lib/pq's binary_parameters, overriding the
// DSN: a statement with parameters then costs one round trip
// (Parse/Bind/Execute together) instead of two, and []byte parameters go as
// binary. The store relies on the latter: every []byte it passes is either
// a bytea or an array already in PostgreSQL's binary format (pgarray.go).
// Other arrays (pq.Array) and times travel as text.
func withBinaryParameters(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " binary_parameters=yes" // key=value form: the last setting wins
}

// Close closes the prepared statement and the connection pool.
func (s *Store) Close() error {
	s.recordClicks.Close()
	return s.db.Close()
}

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// DB exposes the pool for advisory locks held by long-running jobs.
func (s *Store) DB() *sql.DB { return s.db }

// migrateUp applies the embedded migrations. golang-migrate takes a
// PostgreSQL advisory lock, so several processes starting at once are safe.
//
// A database already migrated past the newest embedded migration belongs
// to a newer release running beside this one (a rolling upgrade, or a
// rollback): this process starts on it unchanged, since migrations only
// ever add what older code does not read (docs/deploy.md, "Upgrades").
func migrateUp(db *sql.DB, log *slog.Logger) error {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return fmt.Errorf("reading migrations: %w", err)
	}
	drv, err := migratepg.WithInstance(db, &migratepg.Config{})
	if err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	if newest, err := newestMigration(src); err == nil {
		if v, dirty, err := m.Version(); err == nil && !dirty && v > newest {
			log.Warn("the database schema is newer than this release (a newer release migrated it); starting without migrating",
				"schema_version", v, "release_version", newest)
			return nil
		}
	}
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("applying migrations: %w", err)
	}
	return nil
}

// newestMigration is the highest version among the embedded migrations.
func newestMigration(src source.Driver) (uint, error) {
	v, err := src.First()
	if err != nil {
		return 0, fmt.Errorf("reading migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v, nil // no next one: v is the newest
		}
		v = next
	}
}

// ensureDatabase creates the database named in dsn when it does not exist,
// connecting to the server's "postgres" database to do so.
func ensureDatabase(ctx context.Context, dsn string, create bool) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		return fmt.Errorf("opening database: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		// No rights on "postgres" (a managed database, say): assume it exists
		// and let the real connection report any problem.
		return nil
	}
	if exists {
		return nil
	}
	if !create {
		return apperr.Errorf(apperr.NotFound, "database %q does not exist; check DATABASE_URL (only `serve` and `tenant create` create it)", name)
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "42P04" { // created meanwhile
			return nil
		}
		return fmt.Errorf("creating database %s: %w", name, err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil. When the
// connection was lost (a PostgreSQL restart), the whole transaction is tried
// once more on a fresh connection: nothing of the failed attempt committed.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := s.tryTx(ctx, fn)
	if err != nil && isConnError(err) && ctx.Err() == nil {
		err = s.tryTx(ctx, fn)
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// isConnError reports whether err means the connection died rather than
// that the statement was wrong.
func isConnError(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")
}

// uniqueViolation returns the constraint name if err is a unique violation.
func uniqueViolation(err error) (string, bool) {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.Constraint, true
	}
	return "", false
}

// notFound turns sql.ErrNoRows into an apperr not_found with the message.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Errorf(apperr.NotFound, format, args...)
	}
	return err
}

// scanner is what *sql.Row and *sql.Rows have in common: the scan funcs
// (scanAffiliate, scanClick, …) read one row from either.
type scanner = interface{ Scan(dest ...any) error }

// scanAll reads every remaining row with scan. A row that does not scan
// stops it with "scanning <what>: …"; otherwise it returns the rows and
// rows.Err(). The caller still closes rows.
func scanAll[T any](rows *sql.Rows, what string, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Cursor is a keyset position: the (time, id) of the last row of a page.
type Cursor struct {
	Time time.Time
	ID   string
}

// Page asks for up to Limit rows after the cursor (nil: from the newest).
type Page struct {
	Limit int
	After *Cursor
}

// afterArgs returns the cursor as query arguments; a nil cursor becomes a
// position after every row (far future, empty id never compared).
func (p Page) afterArgs() (time.Time, string) {
	if p.After == nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	}
	return p.After.Time, p.After.ID
}
