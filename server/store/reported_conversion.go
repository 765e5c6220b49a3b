package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ReportedFacts reads the tenant's click cid (none when "" or not the
// tenant's), the links of the email externalCID ("" = none) and which of
// the folded coupon codes are assigned, with the affiliates they name.
func (s *Store) ReportedFacts(ctx context.Context, tenantID, cid, externalCID string, coupons []string) (attribution.ReportedFacts, error) {
	f := attribution.ReportedFacts{Coupons: map[string]string{}, Affiliates: map[string]attribution.ReportedAffiliate{}}
	var affIDs []string
	if cid != "" {
		// The common case (the cookie's click) in one query, its affiliate
		// with it.
		c := attribution.Click{ID: cid}
		a, err := scanAffiliate(prefixed{s.db.QueryRowContext(ctx, `SELECT c.created_at, `+qualified("a.", affiliateColumns)+`
			FROM clicks c JOIN affiliates a ON a.tenant_id = c.tenant_id AND a.id = c.affiliate_id
			WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, cid), []any{&c.CreatedAt}})
		switch {
		case err == nil:
			c.AffiliateID = a.ID
			f.Click = &c
			f.Affiliates[a.ID] = attribution.ReportedAffiliate{Email: a.Email, Active: a.Status == tracklane.AffiliateActive, Commission: a.Commission}
		case err != sql.ErrNoRows:
			return f, fmt.Errorf("reading click: %w", err)
		}
	}
	if externalCID != "" {
		rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.click_id, l.click_created_at, c.affiliate_id, l.revenue_origin_id, l.flags
			FROM customer_links l JOIN clicks c ON c.id = l.click_id
			WHERE l.tenant_id = $1 AND l.external_cid = $2 ORDER BY l.click_created_at DESC, l.id DESC LIMIT 100`, tenantID, externalCID)
		if err != nil {
			return f, fmt.Errorf("reading links: %w", err)
		}
		f.Links, err = scanAll(rows, "link", func(r scanner) (attribution.Link, error) {
			l := attribution.Link{Email: externalCID}
			return l, r.Scan(&l.ID, &l.ClickID, &l.ClickAt, &l.AffiliateID, &l.OriginID, pq.Array(&l.Flags))
		})
		rows.Close()
		if err != nil {
			return f, err
		}
		for _, l := range f.Links {
			affIDs = append(affIDs, l.AffiliateID)
		}
	}
	if len(coupons) > 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT code, affiliate_id FROM affiliate_coupons WHERE tenant_id = $1 AND code = ANY($2)`,
			tenantID, pq.Array(coupons))
		if err != nil {
			return f, fmt.Errorf("reading coupons: %w", err)
		}
		for rows.Next() {
			var code, aff string
			if err := rows.Scan(&code, &aff); err != nil {
				rows.Close()
				return f, fmt.Errorf("reading coupons: %w", err)
			}
			f.Coupons[code] = aff
			affIDs = append(affIDs, aff)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return f, fmt.Errorf("reading coupons: %w", err)
		}
	}
	return f, s.reportedAffiliates(ctx, tenantID, affIDs, f.Affiliates)
}

// qualified qualifies a column list with a table alias.
func qualified(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (s *Store) reportedAffiliates(ctx context.Context, tenantID string, ids []string, into map[string]attribution.ReportedAffiliate) error {
	ids = slices.DeleteFunc(ids, func(id string) bool { _, known := into[id]; return known })
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates WHERE tenant_id = $1 AND id = ANY($2)`,
		tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("reading affiliates: %w", err)
	}
	defer rows.Close()
	list, err := scanAll(rows, "affiliate", scanAffiliate)
	for _, a := range list {
		into[a.ID] = attribution.ReportedAffiliate{Email: a.Email, Active: a.Status == tracklane.AffiliateActive, Commission: a.Commission}
	}
	return err
}

// ReportedConversion is a conversion the site reported, as it is created.
type ReportedConversion struct {
	TenantID    string
	Plan        attribution.ReportedPlan
	ExternalCID string
	Type        string
	ExternalID  string // "" = no deduplication
	CustomerID  string
	Params      map[string]string
	Amount      int64
	Currency    string
	At          time.Time
}

// CreateReportedConversion stores a reported conversion with its first
// history entry and returns its id. A conversion of the same tenant, type
// and ExternalID that already exists is not touched: its id comes back with
// created false.
func (s *Store) CreateReportedConversion(ctx context.Context, r ReportedConversion) (id string, created bool, err error) {
	params, err := json.Marshal(nonNilParams(r.Params))
	if err != nil {
		return "", false, fmt.Errorf("encoding custom params: %w", err)
	}
	flags := r.Plan.Flags
	if flags == nil {
		flags = []string{}
	}
	id = ident.New("cv_")
	p := r.Plan
	originID, err := s.reportedOrigin(ctx, r.TenantID, p.OriginID)
	if err != nil {
		return "", false, err
	}
	// One statement, so one round trip and its own commit: the conversion,
	// and its first history entry if it is new. The revenue origin ''
	// is the tenant's default.
	err = s.db.QueryRowContext(ctx, `WITH ins AS (
			INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
				stripe_account, livemode, source_id, currency, gross_amount, amount, commission,
				rule_type, rule_bp, rule_fixed, rule_currency, status, manual_status, created_at, updated_at,
				source, coupon, flags, origin, conversion_type, external_id, customer_id, custom_params)
			VALUES ($1, $2, $3, $4, $5,
				coalesce(nullif($6, ''), (SELECT o.id FROM revenue_origins o WHERE o.tenant_id = $2 AND o.is_default)),
				'', true, 'tracker:' || $1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17,
				$18, $19, $20, 'tracker', $21, $22, $23, $24)
			ON CONFLICT (tenant_id, conversion_type, external_id) WHERE origin = 'tracker' AND external_id <> '' DO NOTHING
			RETURNING id, tenant_id, created_at, status, amount, commission
		), hist AS (
			INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, amount, commission)
			SELECT id, tenant_id, created_at, status, $25, amount, commission FROM ins
		)
		SELECT id FROM ins`,
		id, r.TenantID, p.AffiliateID, p.ClickID, r.ExternalCID, originID, r.Currency, r.Amount, p.State.Amount, p.State.Commission,
		string(p.Rule.Type), p.Rule.BasisPoints, p.Rule.Fixed, p.Rule.Currency, string(p.State.Status), p.Manual, r.At,
		string(p.Source), p.Coupon, pq.Array(flags), r.Type, r.ExternalID, r.CustomerID, string(params), p.History).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case err != sql.ErrNoRows:
		return "", false, fmt.Errorf("inserting reported conversion: %w", err)
	}
	// A repeat that raced this one in: the first one's id.
	id, err = s.ReportedConversionID(ctx, r.TenantID, r.Type, r.ExternalID)
	return id, false, err
}

// reportedOrigin checks a reported revenueOriginId: ” stays ” (the
// default); one no tenant here knows — a Trackdesk id left on a page moved
// from Trackdesk — becomes ”; another tenant's is unprocessable.
func (s *Store) reportedOrigin(ctx context.Context, tenantID, originID string) (string, error) {
	if originID == "" {
		return "", nil
	}
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id FROM revenue_origins WHERE id = $1`, originID).Scan(&owner)
	switch {
	case err == sql.ErrNoRows:
		return "", nil
	case err != nil:
		return "", fmt.Errorf("checking revenue origin: %w", err)
	case owner != tenantID:
		return "", apperr.Errorf(apperr.Unprocessable, "revenueOriginId %q is not one of this tenant's revenue origins", originID)
	}
	return originID, nil
}

// ReportedConversionID returns the id of the tenant's reported conversion
// of type and externalID; not_found when there is none.
func (s *Store) ReportedConversionID(ctx context.Context, tenantID, typ, externalID string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM conversions WHERE tenant_id = $1 AND origin = 'tracker'
		AND conversion_type = $2 AND external_id = $3 AND external_id <> ''`, tenantID, typ, externalID).Scan(&id)
	if err != nil {
		return "", notFound(err, "no conversion of type %q with externalId %q", typ, externalID)
	}
	return id, nil
}

func nonNilParams(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// decodeCustomParams reads the custom_params column; an empty object
// leaves *dst nil.
func decodeCustomParams(raw []byte, dst *map[string]string) error {
	if len(raw) == 0 || string(raw) == "{}" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("decoding custom params: %w", err)
	}
	return nil
}

// reevaluateReported re-evaluates the tenant's reported conversions ids in
// tx (after the hold period, or the merchant's decision) and records each
// change; why names the cause when the rule's own reason is not enough.
func (s *Store) reevaluateReported(ctx context.Context, tx *sql.Tx, ids []string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.tenant_id, c.status, c.gross_amount, c.amount, c.commission, c.currency,
			c.created_at, c.manual_status, c.flags, c.rule_type, c.rule_bp, c.rule_fixed, c.rule_currency, t.hold_days,
			c.external_cid <> '' AND c.external_cid = a.email
		FROM conversions c JOIN tenants t ON t.id = c.tenant_id
		JOIN affiliates a ON a.tenant_id = c.tenant_id AND a.id = c.affiliate_id
		WHERE c.id = ANY($1) AND c.origin = 'tracker' ORDER BY c.id FOR UPDATE OF c`, pq.Array(ids))
	if err != nil {
		return 0, fmt.Errorf("reading reported conversions: %w", err)
	}
	type change struct {
		id, tenant string
		st         conversion.State
	}
	now := s.Now()
	var changes []change
	for rows.Next() {
		var c change
		var status, rtype string
		var f conversion.Facts
		var rule conversion.Rule
		var flags []string
		var amount, comm int64
		if err := rows.Scan(&c.id, &c.tenant, &status, &f.Gross, &amount, &comm, &f.Currency, &f.PaidAt, &f.Manual, pq.Array(&flags),
			&rtype, &rule.BasisPoints, &rule.Fixed, &rule.Currency, &f.HoldDays, &f.SelfReferral); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reading reported conversions: %w", err)
		}
		f.Livemode, f.Flagged, rule.Type = true, len(flags) > 0, conversion.RuleType(rtype)
		c.st = conversion.EvaluateReported(f, rule, now)
		if c.st.Status != conversion.Status(status) || c.st.Amount != amount || c.st.Commission != comm {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading reported conversions: %w", err)
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE conversions SET status = $2, amount = $3, commission = $4, updated_at = $5 WHERE id = $1`,
			c.id, string(c.st.Status), c.st.Amount, c.st.Commission, now); err != nil {
			return 0, fmt.Errorf("updating reported conversion: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, amount, commission)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.id, c.tenant, now, string(c.st.Status), c.st.Reason, c.st.Amount, c.st.Commission); err != nil {
			return 0, fmt.Errorf("recording history: %w", err)
		}
		// A paid commission the change takes back is owed (the payouts'
		// clawback ledger), as for Stripe's conversions.
		if err := recordClawbacks(ctx, tx, c.tenant, []string{c.id}, []string{clawbackReason(string(c.st.Status), c.st.Reason)}, now); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

// approveDueReported approves the reported conversions whose hold period
// has ended (a browser_reported one only once the merchant decided).
func (s *Store) approveDueReported(ctx context.Context) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id FROM conversions c JOIN tenants t ON t.id = c.tenant_id
			WHERE c.status = 'pending' AND c.origin = 'tracker' AND c.created_at + t.hold_days * interval '1 day' <= $1
				AND (c.flags = '{}' OR c.manual_status <> '')
			ORDER BY c.created_at LIMIT 5000`, s.Now())
		if err != nil {
			return fmt.Errorf("listing reported conversions due: %w", err)
		}
		ids, err := scanAll(rows, "conversion id", func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		})
		rows.Close()
		if err != nil || len(ids) == 0 {
			return err
		}
		n, err = s.reevaluateReported(ctx, tx, ids)
		return err
	})
	return n, err
}
