package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/lib/pq"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

const affiliateColumns = `id, tenant_id, name, email, code, landing_url,
	commission_type, commission_bp, commission_fixed, commission_currency, created_at,
	status, payout_email, email_unconfirmed`

func scanAffiliate(row scanner) (tracklane.Affiliate, error) {
	var a tracklane.Affiliate
	var ctype sql.NullString
	var rule conversion.Rule
	err := row.Scan(&a.ID, &a.TenantID, &a.Name, &a.Email, &a.Code, &a.LandingURL,
		&ctype, &rule.BasisPoints, &rule.Fixed, &rule.Currency, &a.CreatedAt,
		&a.Status, &a.PayoutEmail, &a.EmailUnconfirmed)
	if ctype.Valid {
		rule.Type = conversion.RuleType(ctype.String)
		a.Commission = &rule
	}
	return a, err
}

func ruleArgs(r *conversion.Rule) (any, int64, int64, string) {
	if r == nil {
		return nil, 0, 0, ""
	}
	return string(r.Type), r.BasisPoints, r.Fixed, r.Currency
}

// affiliateConflict names the unique rule an insert or update of a broke: a
// code taken anywhere on the instance, or an email taken in the tenant;
// nil when err is no such conflict.
func affiliateConflict(err error, a tracklane.Affiliate) error {
	switch c, _ := uniqueViolation(err); c {
	case "affiliates_code_key":
		return apperr.Errorf(apperr.Conflict, "the code %q is taken", a.Code)
	case "affiliates_tenant_email":
		return apperr.Errorf(apperr.Conflict, "an affiliate with the email %s already exists", a.Email)
	}
	return nil
}

// CreateAffiliate inserts a; a taken code, or an email another affiliate
// of the tenant has → conflict.
func (s *Store) CreateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error) {
	ctype, bp, fixed, cur := ruleArgs(a.Commission)
	var out tracklane.Affiliate
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanAffiliate(tx.QueryRowContext(ctx, `INSERT INTO affiliates
			(id, tenant_id, name, email, code, landing_url, commission_type, commission_bp, commission_fixed, commission_currency)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+affiliateColumns,
			a.ID, a.TenantID, a.Name, a.Email, a.Code, a.LandingURL, ctype, bp, fixed, cur))
		if err != nil {
			if conflict := affiliateConflict(err, a); conflict != nil {
				return conflict
			}
			return fmt.Errorf("inserting affiliate: %w", err)
		}
		out.Coupons, err = setCoupons(ctx, tx, a.TenantID, a.ID, a.Coupons)
		return err
	})
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return out, nil
}

// SetAffiliateCoupons replaces the promotion codes assigned to one of the
// tenant's affiliates; a code another affiliate of the tenant holds →
// conflict, and nothing changes.
func (s *Store) SetAffiliateCoupons(ctx context.Context, tenantID, affiliateID string, codes []string) ([]string, error) {
	var out []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM affiliates WHERE tenant_id = $1 AND id = $2`, tenantID, affiliateID).Scan(&n); err != nil {
			return fmt.Errorf("finding affiliate: %w", err)
		}
		if n == 0 {
			return apperr.Errorf(apperr.NotFound, "no affiliate %q", affiliateID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM affiliate_coupons WHERE tenant_id = $1 AND affiliate_id = $2`, tenantID, affiliateID); err != nil {
			return fmt.Errorf("clearing coupons: %w", err)
		}
		var err error
		out, err = setCoupons(ctx, tx, tenantID, affiliateID, codes)
		return err
	})
	return out, err
}

// setCoupons assigns codes (already folded and checked) to the affiliate.
func setCoupons(ctx context.Context, tx *sql.Tx, tenantID, affiliateID string, codes []string) ([]string, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO affiliate_coupons (tenant_id, code, affiliate_id)
		SELECT $1, c, $2 FROM unnest($3::text[]) AS c ON CONFLICT (tenant_id, code) DO NOTHING RETURNING code`,
		tenantID, affiliateID, pq.Array(codes))
	if err != nil {
		return nil, fmt.Errorf("assigning coupons: %w", err)
	}
	defer rows.Close()
	got, err := scanAll(rows, "coupon", func(r scanner) (string, error) {
		var c string
		return c, r.Scan(&c)
	})
	if err != nil {
		return nil, err
	}
	if len(got) != len(codes) {
		taken := map[string]bool{}
		for _, c := range codes {
			taken[c] = true
		}
		for _, c := range got {
			delete(taken, c)
		}
		for c := range taken {
			return nil, apperr.Errorf(apperr.Conflict, "the promotion code %q is already assigned to another affiliate", strings.ToUpper(c))
		}
	}
	sort.Strings(got)
	return got, nil
}

// AffiliateCoupons returns the promotion codes of the tenant's affiliates
// by affiliate id, each list sorted.
func (s *Store) AffiliateCoupons(ctx context.Context, tenantID string, affiliateIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(affiliateIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT affiliate_id, code FROM affiliate_coupons
		WHERE tenant_id = $1 AND affiliate_id = ANY($2) ORDER BY code`, tenantID, pq.Array(affiliateIDs))
	if err != nil {
		return nil, fmt.Errorf("listing coupons: %w", err)
	}
	if err := scanPairs(rows, func(aff, code string) { out[aff] = append(out[aff], code) }); err != nil {
		return nil, fmt.Errorf("listing coupons: %w", err)
	}
	return out, nil
}

// UpdateAffiliate stores the editable fields of a (scoped by a.TenantID);
// conflicts as for CreateAffiliate. An affiliate that shared its email
// before emails were unique (migration 0009) keeps it; given a new email,
// it is held to the rule like any other.
func (s *Store) UpdateAffiliate(ctx context.Context, a tracklane.Affiliate) (tracklane.Affiliate, error) {
	ctype, bp, fixed, cur := ruleArgs(a.Commission)
	out, err := scanAffiliate(s.db.QueryRowContext(ctx, `UPDATE affiliates SET name = $3, email = $4, code = $5,
		landing_url = $6, commission_type = $7, commission_bp = $8, commission_fixed = $9, commission_currency = $10,
		email_duplicate = (email_duplicate AND email = $4)
		WHERE tenant_id = $1 AND id = $2 RETURNING `+affiliateColumns,
		a.TenantID, a.ID, a.Name, a.Email, a.Code, a.LandingURL, ctype, bp, fixed, cur))
	if err != nil {
		if conflict := affiliateConflict(err, a); conflict != nil {
			return tracklane.Affiliate{}, conflict
		}
		return tracklane.Affiliate{}, notFound(err, "no affiliate %q", a.ID)
	}
	return out, nil
}

// Affiliate returns one of the tenant's affiliates.
func (s *Store) Affiliate(ctx context.Context, tenantID, id string) (tracklane.Affiliate, error) {
	a, err := scanAffiliate(s.db.QueryRowContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return tracklane.Affiliate{}, notFound(err, "no affiliate %q", id)
	}
	return a, nil
}

// AffiliateByCode finds an affiliate by its (case-folded) code within a
// tenant; not_found otherwise.
func (s *Store) AffiliateByCode(ctx context.Context, tenantID, code string) (tracklane.Affiliate, error) {
	a, err := scanAffiliate(s.db.QueryRowContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND code = $2`, tenantID, code))
	if err != nil {
		return tracklane.Affiliate{}, notFound(err, "no affiliate with code %q", code)
	}
	return a, nil
}

// AffiliateByLinkCode finds an affiliate by code across all tenants, for
// the redirect link /r/<code>, which names no tenant.
func (s *Store) AffiliateByLinkCode(ctx context.Context, code string) (tracklane.Affiliate, error) {
	a, err := scanAffiliate(s.db.QueryRowContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates WHERE code = $1`, code))
	if err != nil {
		return tracklane.Affiliate{}, notFound(err, "no affiliate link %q", code)
	}
	return a, nil
}

// Affiliates lists a tenant's affiliates, newest first.
func (s *Store) Affiliates(ctx context.Context, tenantID string, p Page) ([]tracklane.Affiliate, error) {
	t, id := p.afterArgs()
	rows, err := s.db.QueryContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, tenantID, t, id, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing affiliates: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "affiliate", scanAffiliate)
}
