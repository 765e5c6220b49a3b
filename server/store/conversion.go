package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionFilter narrows a conversion list.
type ConversionFilter struct {
	Status         conversion.Status // "" = all
	AffiliateID    string
	From, To       time.Time        // zero = unbounded; To exclusive
	Flagged        bool             // only conversions with fraud signals
	Origin         tracklane.Origin // "" = all
	ConversionType string           // "" = all
}

const conversionColumns = `id, tenant_id, affiliate_id, click_id, external_cid, revenue_origin_id,
	stripe_account, livemode, source_id, stripe_customer, stripe_invoice, stripe_charge, stripe_subscription,
	currency, gross_amount, amount, commission, status, manual_status, created_at, updated_at, source, coupon, flags,
	COALESCE(payout_id, (SELECT i.payout_id FROM payout_items i WHERE i.conversion_id = id), ''), -- id: the conversion's (payout_items has none)
	origin, conversion_type, external_id, customer_id, custom_params`

func scanConversion(row scanner) (tracklane.Conversion, error) {
	var c tracklane.Conversion
	var status, source, origin string
	var params []byte
	err := row.Scan(&c.ID, &c.TenantID, &c.AffiliateID, &c.ClickID, &c.ExternalCID, &c.RevenueOriginID,
		&c.StripeAccount, &c.Livemode, &c.SourceID, &c.StripeCustomer, &c.StripeInvoice, &c.StripeCharge, &c.StripeSubscription,
		&c.Currency, &c.GrossAmount, &c.Amount, &c.Commission, &status, &c.ManualStatus, &c.CreatedAt, &c.UpdatedAt, &source, &c.Coupon, pq.Array(&c.Flags),
		&c.PayoutID, &origin, &c.ConversionType, &c.ExternalID, &c.CustomerID, &params)
	c.Status, c.Source, c.Origin = conversion.Status(status), tracklane.Source(source), tracklane.Origin(origin)
	if err == nil {
		err = decodeCustomParams(params, &c.CustomParams)
	}
	return c, err
}

// Conversions lists a tenant's conversions, newest payment first, each with
// its history.
func (s *Store) Conversions(ctx context.Context, tenantID string, f ConversionFilter, p Page) ([]tracklane.Conversion, error) {
	t, id := p.afterArgs()
	to := f.To
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	q := `SELECT ` + conversionColumns + ` FROM conversions
		WHERE tenant_id = $1 AND (created_at, id) < ($2, $3) AND created_at >= $4 AND created_at < $5`
	args := []any{tenantID, t, id, f.From, to, p.Limit}
	if f.Status != "" {
		args = append(args, string(f.Status))
		q += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	if f.AffiliateID != "" {
		args = append(args, f.AffiliateID)
		q += fmt.Sprintf(` AND affiliate_id = $%d`, len(args))
	}
	if f.Flagged {
		q += ` AND flags <> '{}'`
	}
	if f.Origin != "" {
		args = append(args, string(f.Origin))
		q += fmt.Sprintf(` AND origin = $%d`, len(args))
	}
	if f.ConversionType != "" {
		args = append(args, f.ConversionType)
		q += fmt.Sprintf(` AND conversion_type = $%d`, len(args))
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $6`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing conversions: %w", err)
	}
	defer rows.Close()
	out, err := scanAll(rows, "conversion", scanConversion)
	if err != nil {
		return nil, fmt.Errorf("listing conversions: %w", err)
	}
	if err := s.loadHistory(ctx, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Conversion returns one of the tenant's conversions with its history.
func (s *Store) Conversion(ctx context.Context, tenantID, id string) (tracklane.Conversion, error) {
	c, err := scanConversion(s.db.QueryRowContext(ctx, `SELECT `+conversionColumns+` FROM conversions
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return tracklane.Conversion{}, notFound(err, "no conversion %q", id)
	}
	list := []tracklane.Conversion{c}
	if err := s.loadHistory(ctx, tenantID, list); err != nil {
		return tracklane.Conversion{}, err
	}
	return list[0], nil
}

// loadHistory fills the History of each conversion with one query.
func (s *Store) loadHistory(ctx context.Context, tenantID string, cs []tracklane.Conversion) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	index := make(map[string]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		index[c.ID] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT conversion_id, at, status, reason, stripe_event, amount, commission
		FROM conversion_history WHERE tenant_id = $1 AND conversion_id = ANY($2) ORDER BY id`, tenantID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("loading conversion history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, status string
		var h tracklane.HistoryEntry
		if err := rows.Scan(&cid, &h.At, &status, &h.Reason, &h.StripeEvent, &h.Amount, &h.Commission); err != nil {
			return fmt.Errorf("scanning conversion history: %w", err)
		}
		h.Status = conversion.Status(status)
		cs[index[cid]].History = append(cs[index[cid]].History, h)
	}
	return rows.Err()
}
