package account

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
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
	return s.Store.MarkPayoutPaid(ctx, tenantID, id, reference, func(p tracklane.Payout, a tracklane.Affiliate) mail.Message {
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
// Payouts page.
func payoutPaidMail(t tracklane.Tenant, p tracklane.Payout, a tracklane.Affiliate, link string) mail.Message {
	to := p.PayoutEmail
	if to == "" {
		to = a.Email
	}
	v := payoutMailView{Name: a.Name, Program: t.Name, Amount: money.Format(p.Amount, p.Currency),
		Reference: p.Reference, Conversions: len(p.ConversionIDs), PayoutID: p.ID, Link: link}
	for _, adj := range p.Adjustments {
		v.Adjusted += adj.Amount
	}
	if v.Adjusted != 0 {
		v.AdjustedText = money.Format(v.Adjusted, p.Currency)
	}
	var text, html bytes.Buffer
	fmt.Fprintf(&text, "Hello %s,\n\n%s has paid you %s for %d conversion(s)", v.Name, v.Program, v.Amount, v.Conversions)
	if v.AdjustedText != "" {
		fmt.Fprintf(&text, ", after adjustments of %s for refunds of commission already paid", v.AdjustedText)
	}
	text.WriteString(".\n")
	if v.Reference != "" {
		fmt.Fprintf(&text, "Reference: %s\n", v.Reference)
	}
	fmt.Fprintf(&text, "Payout: %s\n", v.PayoutID)
	if link != "" {
		fmt.Fprintf(&text, "\nSee your payouts: %s\n", link)
	}
	if err := payoutMailHTML.Execute(&html, v); err != nil {
		html.Reset() // cannot happen with this template; the text body stands alone
	}
	return mail.Message{TenantID: t.ID, Kind: mail.KindPayoutPaid, To: to, Link: link,
		Subject: fmt.Sprintf("%s paid you %s", firstLine(t.Name), v.Amount), Text: text.String(), HTML: html.String()}
}

type payoutMailView struct {
	Name, Program, Amount, Reference, PayoutID, Link string
	Conversions                                      int
	Adjusted                                         int64
	AdjustedText                                     string
}

// payoutMailHTML escapes every field (names and references are typed by
// people).
var payoutMailHTML = template.Must(template.New("payout").Parse(`<p>Hello {{.Name}},</p>
<p>{{.Program}} has paid you <strong>{{.Amount}}</strong> for {{.Conversions}} conversion(s){{if .AdjustedText}}, after adjustments of {{.AdjustedText}} for refunds of commission already paid{{end}}.</p>
{{if .Reference}}<p>Reference: {{.Reference}}</p>{{end}}
<p>Payout: {{.PayoutID}}</p>
{{if .Link}}<p><a href="{{.Link}}">See your payouts</a></p>{{end}}
`))

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
