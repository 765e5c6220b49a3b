package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionTypes returns the conversion types the tenant set, by code
// (the built-in sale and lead are not stored until set:
// tracklane.ResolveConversionTypes adds them).
func (s *Store) ConversionTypes(ctx context.Context, tenantID string) ([]tracklane.ConversionType, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, name, rule_type, rule_bp, rule_fixed, rule_currency
		FROM conversion_types WHERE tenant_id = $1 ORDER BY code`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("listing conversion types: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "conversion type", func(r scanner) (tracklane.ConversionType, error) {
		var ct tracklane.ConversionType
		var rtype string
		var rule conversion.Rule
		err := r.Scan(&ct.Code, &ct.Name, &rtype, &rule.BasisPoints, &rule.Fixed, &rule.Currency)
		if rtype != "tenant" {
			rule.Type = conversion.RuleType(rtype)
			ct.Rule = &rule
		}
		return ct, err
	})
}

// SetConversionType creates or replaces the tenant's conversion type of
// ct.Code.
func (s *Store) SetConversionType(ctx context.Context, tenantID string, ct tracklane.ConversionType) error {
	rtype, bp, fixed, cur := "tenant", int64(0), int64(0), ""
	if ct.Rule != nil {
		rtype, bp, fixed, cur = string(ct.Rule.Type), ct.Rule.BasisPoints, ct.Rule.Fixed, ct.Rule.Currency
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO conversion_types (tenant_id, code, name, rule_type, rule_bp, rule_fixed, rule_currency)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, rule_type = excluded.rule_type,
			rule_bp = excluded.rule_bp, rule_fixed = excluded.rule_fixed, rule_currency = excluded.rule_currency`,
		tenantID, ct.Code, ct.Name, rtype, bp, fixed, cur)
	if err != nil {
		return fmt.Errorf("saving conversion type: %w", err)
	}
	return nil
}

// DeleteConversionType removes the tenant's stored type code (a built-in
// one goes back to its default); not_found when none is stored.
func (s *Store) DeleteConversionType(ctx context.Context, tenantID, code string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM conversion_types WHERE tenant_id = $1 AND code = $2`, tenantID, code)
	if err != nil {
		return fmt.Errorf("deleting conversion type: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "no conversion type %q", code)
	}
	return nil
}

// MaxConversionAmount returns the tenant's cap on a reported amount, in
// minor units of its currency.
func (s *Store) MaxConversionAmount(ctx context.Context, tenantID string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT max_conversion_amount FROM tenants WHERE id = $1`, tenantID).Scan(&n)
	if err != nil {
		return 0, notFound(err, "no tenant %q", tenantID)
	}
	return n, nil
}

// SetMaxConversionAmount stores the tenant's cap on a reported amount.
func (s *Store) SetMaxConversionAmount(ctx context.Context, tenantID string, minor int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE tenants SET max_conversion_amount = $2 WHERE id = $1`, tenantID, minor)
	if err != nil {
		return fmt.Errorf("saving the maximum conversion amount: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "no tenant %q", tenantID)
	}
	return nil
}

// ReportedSettings returns in one query what the conversion endpoint
// checks a report against: the tenant's stored conversion types and its
// cap on a reported amount. An unknown tenant → not_found.
func (s *Store) ReportedSettings(ctx context.Context, tenantID string) ([]tracklane.ConversionType, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.max_conversion_amount, ct.code, ct.name, ct.rule_type, ct.rule_bp, ct.rule_fixed, ct.rule_currency
		FROM tenants t LEFT JOIN conversion_types ct ON ct.tenant_id = t.id WHERE t.id = $1 ORDER BY ct.code`, tenantID)
	if err != nil {
		return nil, 0, fmt.Errorf("reading conversion settings: %w", err)
	}
	defer rows.Close()
	var types []tracklane.ConversionType
	var max int64
	found := false
	for rows.Next() {
		var code, name, rtype, cur sql.NullString
		var bp, fixed sql.NullInt64
		if err := rows.Scan(&max, &code, &name, &rtype, &bp, &fixed, &cur); err != nil {
			return nil, 0, fmt.Errorf("reading conversion settings: %w", err)
		}
		found = true
		if !code.Valid {
			continue
		}
		ct := tracklane.ConversionType{Code: code.String, Name: name.String}
		if rtype.String != "tenant" {
			ct.Rule = &conversion.Rule{Type: conversion.RuleType(rtype.String), BasisPoints: bp.Int64, Fixed: fixed.Int64, Currency: cur.String}
		}
		types = append(types, ct)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading conversion settings: %w", err)
	}
	if !found {
		return nil, 0, notFound(sql.ErrNoRows, "no tenant %q", tenantID)
	}
	return types, max, nil
}
