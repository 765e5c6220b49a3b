package account

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// CreatePayouts creates the tenant's pending payouts (SPEC section 9):
// one per affiliate and currency whose payable commission, less what the
// affiliate owes, is positive and at least the payout minimum. With
// affiliateID only that affiliate's (another tenant's → not_found). An
// empty result means nothing was payable.
func (s Service) CreatePayouts(ctx context.Context, tenantID, affiliateID string) ([]tracklane.Payout, error) {
	affiliateID = strings.TrimSpace(affiliateID)
	if affiliateID != "" {
		if _, err := s.Store.Affiliate(ctx, tenantID, affiliateID); err != nil {
			return nil, err
		}
	}
	return s.Store.CreatePayouts(ctx, tenantID, affiliateID, func() string { return ident.New("po_") })
}

// MarkPayoutPaid marks a pending payout paid with the merchant's reference
// (a PayPal batch id, a bank transfer's reference; optional) and mails the
// affiliate in the same transaction. Paid or cancelled → conflict.
func (s Service) MarkPayoutPaid(ctx context.Context, tenantID, id, reference string) (tracklane.Payout, error) {
	reference = strings.TrimSpace(reference)
	if utf8.RuneCountInString(reference) > 200 || strings.ContainsAny(reference, "\r\n\x00") {
		return tracklane.Payout{}, apperr.Errorf(apperr.Invalid, "reference must be one line of at most 200 characters")
	}
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return tracklane.Payout{}, err
	}
	return s.Store.MarkPayoutPaid(ctx, tenantID, id, reference, func(p tracklane.Payout, a tracklane.Affiliate) (mail.Message, error) {
		return payoutPaidMail(t, p, a, s.portalPayouts(t))
	})
}

// CancelPayout cancels a pending payout; its conversions and adjustments
// become payable again. Paid or cancelled → conflict.
func (s Service) CancelPayout(ctx context.Context, tenantID, id string) (tracklane.Payout, error) {
	return s.Store.CancelPayout(ctx, tenantID, id)
}

// Payouts lists the tenant's payouts, newest first (the CLI's list; the
// API and the dashboard read the store directly).
func (s Service) Payouts(ctx context.Context, tenantID string, f store.PayoutFilter, limit int) ([]tracklane.Payout, error) {
	if f.Status != "" && f.Status != tracklane.PayoutPending && f.Status != tracklane.PayoutPaid && f.Status != tracklane.PayoutCancelled {
		return nil, apperr.Errorf(apperr.Invalid, "status must be one of pending, paid, cancelled")
	}
	if limit < 1 || limit > 200 {
		return nil, apperr.Errorf(apperr.Invalid, "limit must be a whole number from 1 to 200")
	}
	if _, err := s.Store.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	if f.AffiliateID != "" {
		if _, err := s.Store.Affiliate(ctx, tenantID, f.AffiliateID); err != nil {
			return nil, err
		}
	}
	return s.Store.Payouts(ctx, tenantID, f, store.Page{Limit: limit})
}

// portalPayouts is the affiliate portal's Payouts page of t ("" when the
// program has no portal address).
func (s Service) portalPayouts(t tracklane.Tenant) string {
	if t.Slug == "" || s.PublicURL == "" {
		return ""
	}
	return s.PortalURL(t) + "/payouts"
}

// payoutPaidMail tells the affiliate their payout was sent: to the payout
// email, or their login email when they gave none; link is their portal's
// Payouts page ("" when the program has none).
func payoutPaidMail(t tracklane.Tenant, p tracklane.Payout, a tracklane.Affiliate, link string) (mail.Message, error) {
	to := p.PayoutEmail
	if to == "" {
		to = a.Email
	}
	d := mail.PayoutPaidData{Program: t.Name, Name: a.Name, Amount: money.Format(p.Amount, p.Currency),
		Reference: p.Reference, PayoutID: p.ID, Conversions: len(p.ConversionIDs), Link: link}
	var adjusted int64
	for _, adj := range p.Adjustments {
		adjusted += adj.Amount
	}
	if adjusted != 0 {
		d.Adjustments = money.Format(adjusted, p.Currency)
	}
	m, err := tenantMail(t.ID, mail.KindPayoutPaid, to, t.Name+" paid you "+d.Amount, d)
	if err != nil {
		return mail.Message{}, fmt.Errorf("mailing payout %s: %w", p.ID, err)
	}
	return m, nil
}
