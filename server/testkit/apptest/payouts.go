package apptest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/tracklane"
)

var saleSeq atomic.Int64

// ApprovedSale records a paid invoice of amount (minor units of currency)
// attributed to aff through a click and an email link, in a tenant whose
// hold period it sets to 0 so the conversion is approved at once. It
// returns the conversion's id and its charge id (for refunds).
func (a *App) ApprovedSale(t testing.TB, tenantID string, aff tracklane.Affiliate, amount int64, currency string) (conversionID, chargeID string) {
	t.Helper()
	ctx := context.Background()
	zero := 0
	if _, err := a.Accounts.UpdateSettings(ctx, tenantID, account.SettingsInput{HoldDays: &zero}); err != nil {
		t.Fatal(err)
	}
	conn := a.saleConnection(t, tenantID)
	n := saleSeq.Add(1)
	now := time.Now().UTC().Truncate(time.Microsecond)
	click := tracklane.Click{ID: fmt.Sprintf("sale-click-%d", n), TenantID: tenantID, AffiliateID: aff.ID,
		CreatedAt: now.Add(-2 * time.Hour), VisitorHash: []byte(fmt.Sprintf("sale-v%d", n))}
	if err := a.Store.InsertClicks(ctx, []tracklane.Click{click}); err != nil {
		t.Fatal(err)
	}
	email := fmt.Sprintf("buyer-%d@customers.example", n)
	if _, err := a.Store.CreateLink(ctx, tenantID, click.ID, email, ""); err != nil {
		t.Fatal(err)
	}
	chargeID = fmt.Sprintf("ch_sale_%d", n)
	paid := now.Add(-time.Hour)
	ev := tracklane.StripeEvent{ID: fmt.Sprintf("evt_sale_%d", n), Type: "invoice.paid", Created: paid, Livemode: true,
		Payment: &tracklane.PaymentFact{SourceID: fmt.Sprintf("in_sale_%d", n), CustomerID: fmt.Sprintf("cus_sale_%d", n), Email: email,
			Amount: amount, Currency: currency, PaidAt: paid, InvoiceID: fmt.Sprintf("in_sale_%d", n), ChargeID: chargeID}}
	if _, err := a.Store.ApplyEvents(ctx, conn, []tracklane.StripeEvent{ev}, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DB().QueryRowContext(ctx, `SELECT id FROM conversions WHERE tenant_id = $1 AND stripe_charge = $2`,
		tenantID, chargeID).Scan(&conversionID); err != nil {
		t.Fatalf("the sale made no conversion: %v", err)
	}
	return conversionID, chargeID
}

// Refund records that chargeID (of ApprovedSale) has refunded minor units
// in all.
func (a *App) Refund(t testing.TB, tenantID, chargeID string, refunded int64) {
	t.Helper()
	n := saleSeq.Add(1)
	ev := tracklane.StripeEvent{ID: fmt.Sprintf("evt_refund_%d", n), Type: "charge.refunded", Created: time.Now().UTC(), Livemode: true,
		Charge: &tracklane.ChargeFact{ChargeID: chargeID, AmountRefunded: refunded}}
	if _, err := a.Store.ApplyEvents(context.Background(), a.saleConnection(t, tenantID), []tracklane.StripeEvent{ev}, nil); err != nil {
		t.Fatal(err)
	}
}

func (a *App) saleConnection(t testing.TB, tenantID string) tracklane.StripeConnection {
	t.Helper()
	conn, err := a.Store.Connect(context.Background(), tenantID, "acct_sales_"+tenantID, true, "usr_sales", "…")
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
