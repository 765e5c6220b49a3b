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
// tenant's), the links of the email externalCID ("" = none) with the
// visitor hash of the browser that made each, and which of the folded
// coupon codes are assigned, with the affiliates they name.
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
		rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.click_id, l.click_created_at, c.affiliate_id, l.revenue_origin_id, l.flags,
				l.visitor_hash
			FROM customer_links l JOIN clicks c ON c.id = l.click_id
			WHERE l.tenant_id = $1 AND l.external_cid = $2 ORDER BY l.click_created_at DESC, l.id DESC LIMIT 100`, tenantID, externalCID)
		if err != nil {
			return f, fmt.Errorf("reading links: %w", err)
		}
		f.Links, err = scanAll(rows, "link", func(r scanner) (attribution.Link, error) {
			l := attribution.Link{Email: externalCID}
			return l, r.Scan(&l.ID, &l.ClickID, &l.ClickAt, &l.AffiliateID, &l.OriginID, pq.Array(&l.Flags), &l.Visitor)
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
	// ID is the id a new conversion takes; "" = a random one.
	ID          string
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
	if r.ID == "" {
		r.ID = ident.New("cv_")
	}
	created, err = s.insertReported(ctx, s.db, r)
	if err != nil || created {
		return r.ID, created, err
	}
	// A repeat that raced this one in: the first one's id.
	e, err := s.ReportedByExternalID(ctx, r.TenantID, r.Type, r.ExternalID)
	return e.ID, false, err
}

// insertReported inserts r (its ID set) unless a conversion of the same
// tenant, type and ExternalID exists (or one of its id: the same, as ids
// derived from the three are): false then, nothing written.
func (s *Store) insertReported(ctx context.Context, q queryer, r ReportedConversion) (bool, error) {
	p := r.Plan
	params, flags, originID, err := s.reportedColumns(ctx, r)
	if err != nil {
		return false, err
	}
	// One statement, so one round trip and its own commit: the conversion,
	// and its first history entry if it is new. The revenue origin ''
	// is the tenant's default.
	err = q.QueryRowContext(ctx, `WITH ins AS (
			INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
				stripe_account, livemode, source_id, currency, gross_amount, amount, commission,
				rule_type, rule_bp, rule_fixed, rule_currency, status, manual_status, created_at, updated_at,
				source, coupon, flags, origin, conversion_type, external_id, customer_id, custom_params)
			VALUES ($1, $2, $3, $4, $5,
				`+originOrDefault("$6", "$2")+`,
				'', true, 'tracker:' || $1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17,
				$18, $19, $20, 'tracker', $21, $22, $23, $24)
			ON CONFLICT DO NOTHING
			RETURNING id, tenant_id, created_at, status, amount, commission
		), hist AS (
			INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, amount, commission)
			SELECT id, tenant_id, created_at, status, $25, amount, commission FROM ins
		)
		SELECT id FROM ins`,
		r.ID, r.TenantID, p.AffiliateID, p.ClickID, r.ExternalCID, originID, r.Currency, r.Amount, p.State.Amount, p.State.Commission,
		string(p.Rule.Type), p.Rule.BasisPoints, p.Rule.Fixed, p.Rule.Currency, string(p.State.Status), p.Manual, r.At,
		string(p.Source), p.Coupon, pq.Array(flags), r.Type, r.ExternalID, r.CustomerID, params, p.History).Scan(new(string))
	switch {
	case err == nil:
		return true, nil
	case err == sql.ErrNoRows:
		return false, nil
	}
	return false, fmt.Errorf("inserting reported conversion: %w", err)
}

// reportedColumns prepares the columns of r that are not written as
// they are: the custom params as JSON, the flags never null, the
// revenue origin checked ("" = the tenant's default).
func (s *Store) reportedColumns(ctx context.Context, r ReportedConversion) (params string, flags []string, originID string, err error) {
	b, err := json.Marshal(nonNilParams(r.Params))
	if err != nil {
		return "", nil, "", fmt.Errorf("encoding custom params: %w", err)
	}
	if flags = r.Plan.Flags; flags == nil {
		flags = []string{}
	}
	originID, err = chooseOrigin(ctx, s.db, r.TenantID, r.Plan.OriginID)
	return string(b), flags, originID, err
}

// ReplaceReportedConversion applies the merchant's server's report r to
// the conversion of the same tenant, type and ExternalID, as
// attribution.Replace decides under lock: a browser's is overwritten whole
// in place (same id, a history line), or — when a payout holds it — rejected
// and superseded by r stored as a new conversion; a trusted one is kept.
// It returns the id that now answers for the order and whether r replaced
// anything. No such conversion → not_found.
func (s *Store) ReplaceReportedConversion(ctx context.Context, r ReportedConversion) (id string, replaced bool, err error) {
	err = s.retryConflicts(ctx, func(tx *sql.Tx) error {
		e, err := lockReported(ctx, tx, r.TenantID, r.Type, r.ExternalID)
		if err != nil {
			return err
		}
		id, replaced = e.ID, true
		switch attribution.Replace(e, true, true) {
		case attribution.Overwrite:
			return s.overwriteReported(ctx, tx, e.ID, r)
		case attribution.Supersede:
			id = ident.New("cv_")
			if err := s.rejectReported(ctx, tx, e.ID, id, "replaced by the merchant's server's report "+id); err != nil {
				return err
			}
			r.ID = id
			created, err := s.insertReported(ctx, tx, r)
			if err == nil && !created {
				err = fmt.Errorf("storing the replacement of %s: a conversion holds its externalId", e.ID)
			}
			return err
		}
		replaced = false
		return nil
	})
	return id, replaced, err
}

// RejectReportedClaim applies a report of the merchant's server that
// nothing attributes to the conversion of the same tenant, type and
// externalID: a browser's claim to that order is rejected (its commission
// taken back by the payouts' ledger if it was paid), as
// attribution.Replace decides under lock. It reports whether it rejected
// one; none stored is no error.
func (s *Store) RejectReportedClaim(ctx context.Context, tenantID, typ, externalID string) (bool, error) {
	var rejected bool
	err := s.retryConflicts(ctx, func(tx *sql.Tx) error {
		e, err := lockReported(ctx, tx, tenantID, typ, externalID)
		if apperr.Is(err, apperr.NotFound) {
			return nil
		}
		if err != nil || attribution.Replace(e, true, false) != attribution.RejectClaim {
			return err
		}
		rejected = true
		return s.rejectReported(ctx, tx, e.ID, "", "the merchant's server reported this order with no affiliate")
	})
	return rejected, err
}

// lockReported locks and reads the conversion that answers for the
// tenant's type and externalID. It first takes the tenant's payout lock,
// so no payout takes the conversion in while it is being replaced.
func lockReported(ctx context.Context, tx *sql.Tx, tenantID, typ, externalID string) (attribution.ReportedExisting, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, payoutLock, tenantID); err != nil {
		return attribution.ReportedExisting{}, fmt.Errorf("taking the payout lock: %w", err)
	}
	return scanReportedExisting(tx.QueryRowContext(ctx, reportedExistingQuery+` FOR UPDATE OF c`, tenantID, typ, externalID), typ, externalID)
}

// reportedExistingQuery reads the conversion that answers for a tenant's
// ($1) type ($2) and externalId ($3) as attribution.ReportedExisting.
const reportedExistingQuery = `SELECT c.id, 'browser_reported' = ANY(c.flags),
		c.payout_id IS NOT NULL OR EXISTS (SELECT 1 FROM payout_items i WHERE i.conversion_id = c.id)
	FROM conversions c WHERE c.tenant_id = $1 AND c.origin = 'tracker' AND c.conversion_type = $2
		AND c.external_id = $3 AND c.external_id <> '' AND c.replaced_by IS NULL`

func scanReportedExisting(row *sql.Row, typ, externalID string) (attribution.ReportedExisting, error) {
	var e attribution.ReportedExisting
	if err := row.Scan(&e.ID, &e.BrowserReported, &e.InPayout); err != nil {
		return e, notFound(err, "no conversion of type %q with externalId %q", typ, externalID)
	}
	return e, nil
}

// overwriteReported replaces the browser's conversion id in tx with the
// merchant's server's report r, whole: affiliate, click, email, origin,
// amount, rule, status, the merchant's decision, source, flags, customer
// and params; its id, type, externalId and time stay. A history line says
// so. No payout holds it (attribution.Overwrite), so no ledger entry is due.
func (s *Store) overwriteReported(ctx context.Context, tx *sql.Tx, id string, r ReportedConversion) error {
	p := r.Plan
	params, flags, originID, err := s.reportedColumns(ctx, r)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `WITH up AS (
			UPDATE conversions SET affiliate_id = $3, click_id = $4, external_cid = $5,
				revenue_origin_id = `+originOrDefault("$6", "$2")+`,
				currency = $7, gross_amount = $8, amount = $9, commission = $10, rule_type = $11, rule_bp = $12, rule_fixed = $13,
				rule_currency = $14, status = $15, manual_status = $16, updated_at = $17, source = $18, coupon = $19, flags = $20,
				customer_id = $21, custom_params = $22
			WHERE tenant_id = $2 AND id = $1
			RETURNING id, tenant_id, status, amount, commission
		)
		INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, amount, commission)
		SELECT id, tenant_id, $17, status, $23, amount, commission FROM up`,
		id, r.TenantID, p.AffiliateID, p.ClickID, r.ExternalCID, originID, r.Currency, r.Amount, p.State.Amount, p.State.Commission,
		string(p.Rule.Type), p.Rule.BasisPoints, p.Rule.Fixed, p.Rule.Currency, string(p.State.Status), p.Manual, r.At,
		string(p.Source), p.Coupon, pq.Array(flags), r.CustomerID, params,
		"the merchant's server's report replaced the browser's: "+p.History)
	if err != nil {
		return fmt.Errorf("replacing reported conversion: %w", err)
	}
	return nil
}

// rejectReported rejects the conversion id in tx as the merchant's
// decision, why in its history line, and — when replacedBy is not "" —
// marks it replaced by that conversion (it no longer answers for its
// externalId). A commission already paid on it is owed back. One rejected
// already gets the history line all the same when it is replaced.
func (s *Store) rejectReported(ctx context.Context, tx *sql.Tx, id, replacedBy, why string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE conversions SET manual_status = $2, replaced_by = nullif($3, '') WHERE id = $1`,
		id, conversion.ManualRejected, replacedBy); err != nil {
		return fmt.Errorf("rejecting reported conversion: %w", err)
	}
	n, err := s.reevaluateReported(ctx, tx, []string{id}, why)
	if err != nil || n > 0 || replacedBy == "" {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO conversion_history (conversion_id, tenant_id, at, status, reason, amount, commission)
		SELECT id, tenant_id, $2, status, $3, amount, commission FROM conversions WHERE id = $1`, id, s.Now(), why); err != nil {
		return fmt.Errorf("recording history: %w", err)
	}
	return nil
}

// ReportedByExternalID reads the tenant's reported conversion that
// answers for type and externalID; not_found when there is none.
func (s *Store) ReportedByExternalID(ctx context.Context, tenantID, typ, externalID string) (attribution.ReportedExisting, error) {
	return scanReportedExisting(s.db.QueryRowContext(ctx, reportedExistingQuery, tenantID, typ, externalID), typ, externalID)
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
// change; why, when not "", names the cause before the rule's own reason.
func (s *Store) reevaluateReported(ctx context.Context, tx *sql.Tx, ids []string, why string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.tenant_id, c.status, c.gross_amount, c.amount, c.commission, c.currency,
			c.created_at, c.manual_status, c.flags, c.rule_type, c.rule_bp, c.rule_fixed, c.rule_currency, t.hold_days,
			c.external_cid, a.email
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
		var customer, affiliateEmail string
		if err := rows.Scan(&c.id, &c.tenant, &status, &f.Gross, &amount, &comm, &f.Currency, &f.PaidAt, &f.Manual, pq.Array(&flags),
			&rtype, &rule.BasisPoints, &rule.Fixed, &rule.Currency, &f.HoldDays, &customer, &affiliateEmail); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reading reported conversions: %w", err)
		}
		f.Livemode, f.Flagged, rule.Type = true, len(flags) > 0, conversion.RuleType(rtype)
		f.SelfReferral = attribution.SelfReferral(customer, affiliateEmail)
		c.st = conversion.EvaluateReported(f, rule, now)
		if why != "" {
			c.st.Reason = why + ": " + c.st.Reason
		}
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
		if err := recordClawbacks(ctx, tx, c.tenant, []string{c.id}, []conversion.State{c.st}, now); err != nil {
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
		n, err = s.reevaluateReported(ctx, tx, ids, "")
		return err
	})
	return n, err
}
