package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// NewTenant is everything created with a tenant, in one transaction: the
// tenant, its first dashboard user, its first personal token and its
// default revenue origin. Ids and hashes are made by the caller.
type NewTenant struct {
	ID           string
	Name         string
	Website      string
	Email        string // the first user's login, already normalised
	PasswordHash string
	TokenName    string
	TokenHash    []byte
	TokenHint    string
	OriginID     string
}

const tenantColumns = `id, name, website, cookie_days, attribution_days, hold_days,
	commission_type, commission_bp, commission_fixed, commission_currency,
	recurring, recurring_months, timezone, allowed_hosts, created_at,
	slug, affiliate_approval, payout_minimum`

func scanTenant(row scanner) (tracklane.Tenant, error) {
	var t tracklane.Tenant
	var ctype string
	err := row.Scan(&t.ID, &t.Name, &t.Website, &t.CookieDays, &t.AttributionDays, &t.HoldDays,
		&ctype, &t.Commission.BasisPoints, &t.Commission.Fixed, &t.Commission.Currency,
		&t.Recurring.Kind, &t.Recurring.Months, &t.Timezone, pq.Array(&t.AllowedHosts), &t.CreatedAt,
		&t.Slug, &t.AffiliateApproval, &t.PayoutMinimum)
	t.Commission.Type = conversion.RuleType(ctype)
	return t, err
}

// ErrEmailTaken is in the chain of CreateTenant's (conflict) error when the
// first user's email already has an account, for callers that must answer
// it differently (the sign-up form must not tell who has an account).
var ErrEmailTaken = errors.New("the email already has an account")

// CreateTenant creates a tenant with its first user, token and default
// revenue origin. A taken email → conflict.
func (s *Store) CreateTenant(ctx context.Context, n NewTenant) (tracklane.Tenant, error) {
	var t tracklane.Tenant
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		slug, err := freeSlug(ctx, tx, tracklane.SlugFrom(n.Name), s.Now())
		if err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, `INSERT INTO tenants (id, name, website, slug) VALUES ($1, $2, $3, $4)
			RETURNING `+tenantColumns, n.ID, n.Name, n.Website, slug)
		if t, err = scanTenant(row); err != nil {
			return fmt.Errorf("inserting tenant: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, email, password_hash) VALUES ($1, $2, $3)`,
			n.ID, n.Email, n.PasswordHash); err != nil {
			if _, ok := uniqueViolation(err); ok {
				return fmt.Errorf("%w (%w)", apperr.Errorf(apperr.Conflict, "a user with email %s already exists", n.Email), ErrEmailTaken)
			}
			return fmt.Errorf("inserting user: %w", err)
		}
		if n.TokenHash == nil {
			// no first token (a browser sign-up: the merchant makes one where it is shown)
		} else if err := insertToken(ctx, tx, n.ID, n.TokenName, n.TokenHash, n.TokenHint); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revenue_origins (id, tenant_id, name, is_default) VALUES ($1, $2, 'Default', true)`,
			n.OriginID, n.ID); err != nil {
			return fmt.Errorf("inserting revenue origin: %w", err)
		}
		return nil
	})
	return t, err
}

// Tenant returns one tenant; not_found when there is none.
func (s *Store) Tenant(ctx context.Context, id string) (tracklane.Tenant, error) {
	t, err := scanTenant(s.db.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return tracklane.Tenant{}, notFound(err, "no tenant %q", id)
	}
	return t, nil
}

// User returns one of the tenant's dashboard users; not_found when there
// is none.
func (s *Store) User(ctx context.Context, tenantID string, id int64) (tracklane.User, error) {
	var u tracklane.User
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, email, password_hash FROM users WHERE tenant_id = $1 AND id = $2`,
		tenantID, id).Scan(&u.ID, &u.TenantID, &u.Email, &u.PasswordHash)
	if err != nil {
		return tracklane.User{}, notFound(err, "no user %d", id)
	}
	return u, nil
}

// Tenants returns every tenant, oldest first (for jobs that visit all).
func (s *Store) Tenants(ctx context.Context) ([]tracklane.Tenant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("listing tenants: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "tenant", scanTenant)
}

// HasTenants reports whether any tenant exists (the server's start says
// where to go next: sign up, or log in).
func (s *Store) HasTenants(ctx context.Context) (bool, error) {
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants)`).Scan(&exists); err != nil {
		return false, fmt.Errorf("looking for tenants: %w", err)
	}
	return exists, nil
}

// UpdateTenantSettings stores the editable settings of t (everything but
// ID and CreatedAt) and returns the stored tenant. A slug another program
// has, or gave up less than SlugAliasReserved ago, → conflict.
func (s *Store) UpdateTenantSettings(ctx context.Context, t tracklane.Tenant) (tracklane.Tenant, error) {
	hosts := t.AllowedHosts
	if hosts == nil {
		hosts = []string{}
	}
	slugTakenErr := apperr.Errorf(apperr.Conflict, "the slug %q is taken by another program", t.Slug)
	var out tracklane.Tenant
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockSlugs(ctx, tx); err != nil {
			return err
		}
		taken, err := slugTaken(ctx, tx, t.Slug, t.ID, s.Now())
		if err != nil {
			return err
		}
		if taken {
			return slugTakenErr
		}
		row := tx.QueryRowContext(ctx, `UPDATE tenants SET name = $2, website = $3, cookie_days = $4,
			attribution_days = $5, hold_days = $6, commission_type = $7, commission_bp = $8,
			commission_fixed = $9, commission_currency = $10, recurring = $11, recurring_months = $12,
			timezone = $13, allowed_hosts = $14,
			slug = $15, affiliate_approval = $16, payout_minimum = $17
			WHERE id = $1 RETURNING `+tenantColumns,
			t.ID, t.Name, t.Website, t.CookieDays, t.AttributionDays, t.HoldDays,
			string(t.Commission.Type), t.Commission.BasisPoints, t.Commission.Fixed, t.Commission.Currency,
			t.Recurring.Kind, t.Recurring.Months, t.Timezone, pq.Array(hosts),
			t.Slug, string(t.AffiliateApproval), t.PayoutMinimum)
		out, err = scanTenant(row)
		if c, _ := uniqueViolation(err); c == "tenants_slug_key" {
			return slugTakenErr
		}
		if err != nil {
			return notFound(err, "no tenant %q", t.ID)
		}
		return nil
	})
	if err != nil {
		return tracklane.Tenant{}, err
	}
	return out, nil
}
