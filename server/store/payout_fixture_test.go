package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// payFix is a tenant with a hold of 0 days (payments are approved at once,
// 20% commission) and a live Stripe connection, for payout tests.
type payFix struct {
	t        *testing.T
	st       *store.Store
	ctx      context.Context
	tenantID string
	affs     []tracklane.Affiliate
	conn     tracklane.StripeConnection
	n        int
	now      time.Time
}

func newPayFix(t *testing.T, affiliates int) *payFix {
	t.Helper()
	st, _ := storetest.New(t)
	return newPayFixOn(t, st, affiliates)
}

func newPayFixOn(t *testing.T, st *store.Store, affiliates int) *payFix {
	t.Helper()
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, affiliates)
	zero := 0
	if _, err := (account.Service{Store: st}).UpdateSettings(ctx, tenantID, account.SettingsInput{HoldDays: &zero}); err != nil {
		t.Fatal(err)
	}
	conn, err := st.Connect(ctx, tenantID, "acct_"+tenantID, true, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	return &payFix{t: t, st: st, ctx: ctx, tenantID: tenantID, affs: affs, conn: conn, now: time.Now().UTC().Truncate(time.Microsecond)}
}

// sale is one payment to attribute: the affiliate's index, amount, currency.
type sale struct {
	aff    int
	amount int64
	cur    string
}

// pay records the sales as paid invoices (one event page) and returns the
// charge id of each, in order.
func (f *payFix) pay(sales ...sale) []string {
	f.t.Helper()
	var clicks []tracklane.Click
	var events []tracklane.StripeEvent
	var charges []string
	for _, s := range sales {
		f.n++
		n := f.n
		clicks = append(clicks, tracklane.Click{ID: fmt.Sprintf("k%d", n), TenantID: f.tenantID, AffiliateID: f.affs[s.aff].ID,
			CreatedAt: f.now.Add(-2 * time.Hour), VisitorHash: []byte(fmt.Sprintf("v%d", n))})
		paid := f.now.Add(-time.Hour).Add(time.Duration(n) * time.Millisecond)
		charges = append(charges, fmt.Sprintf("ch_%d", n))
		events = append(events, tracklane.StripeEvent{ID: fmt.Sprintf("evt_p%d", n), Type: "invoice.paid", Created: paid, Livemode: true,
			Payment: &tracklane.PaymentFact{SourceID: fmt.Sprintf("in_%d", n), CustomerID: fmt.Sprintf("cus_%d", n), Email: fmt.Sprintf("buyer%d@example.com", n),
				Amount: s.amount, Currency: s.cur, PaidAt: paid, InvoiceID: fmt.Sprintf("in_%d", n), ChargeID: fmt.Sprintf("ch_%d", n)}})
	}
	if err := f.st.InsertClicks(f.ctx, clicks); err != nil {
		f.t.Fatal(err)
	}
	for _, c := range clicks {
		if _, err := f.st.CreateLink(f.ctx, f.tenantID, c.ID, "buyer"+c.ID[1:]+"@example.com", ""); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := f.st.ApplyEvents(f.ctx, f.conn, events, nil); err != nil {
		f.t.Fatal(err)
	}
	return charges
}

// refund records that charge has refunded (cumulative) minor units.
func (f *payFix) refund(charge string, refunded int64) error {
	f.n++
	_, err := f.st.ApplyEvents(f.ctx, f.conn, []tracklane.StripeEvent{{ID: fmt.Sprintf("evt_r%d", f.n), Type: "charge.refunded",
		Created: f.now, Livemode: true, Charge: &tracklane.ChargeFact{ChargeID: charge, AmountRefunded: refunded}}}, nil)
	return err
}

// disputeLost records a lost dispute on charge.
func (f *payFix) disputeLost(charge string) {
	f.t.Helper()
	f.n++
	if _, err := f.st.ApplyEvents(f.ctx, f.conn, []tracklane.StripeEvent{{ID: fmt.Sprintf("evt_d%d", f.n), Type: "charge.dispute.closed",
		Created: f.now, Livemode: true, Charge: &tracklane.ChargeFact{ChargeID: charge, DisputeID: "dp_" + charge, DisputeStatus: "lost"}}}, nil); err != nil {
		f.t.Fatal(err)
	}
}

// conversionOf returns the conversion of a charge.
func (f *payFix) conversionOf(charge string) tracklane.Conversion {
	f.t.Helper()
	var id string
	if err := f.st.DB().QueryRow(`SELECT id FROM conversions WHERE tenant_id = $1 AND stripe_charge = $2`, f.tenantID, charge).Scan(&id); err != nil {
		f.t.Fatalf("conversion of %s: %v", charge, err)
	}
	c, err := f.st.Conversion(f.ctx, f.tenantID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *payFix) create(affiliateID string) []tracklane.Payout {
	f.t.Helper()
	ps, err := f.st.CreatePayouts(f.ctx, f.tenantID, affiliateID, func() string { return ident.New("po_") })
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

func noMail(p tracklane.Payout, a tracklane.Affiliate) (mail.Message, error) {
	return mail.Message{TenantID: p.TenantID, Kind: mail.KindPayoutPaid, To: a.Email, Subject: "paid", Text: p.ID}, nil
}

func (f *payFix) paid(id string) tracklane.Payout {
	f.t.Helper()
	p, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, id, "ref-"+id, noMail)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *payFix) setMinimum(m int64) {
	f.t.Helper()
	if _, err := (account.Service{Store: f.st}).UpdateSettings(f.ctx, f.tenantID, account.SettingsInput{PayoutMinimum: &m}); err != nil {
		f.t.Fatal(err)
	}
}

// byKey indexes payouts by "affiliate index/currency".
func (f *payFix) byKey(ps []tracklane.Payout) map[string]tracklane.Payout {
	out := map[string]tracklane.Payout{}
	for _, p := range ps {
		for i, a := range f.affs {
			if a.ID == p.AffiliateID {
				out[fmt.Sprintf("%d/%s", i, p.Currency)] = p
			}
		}
	}
	return out
}

// checkLedger checks the invariants that must hold whatever the
// interleaving: no conversion in two payouts (by construction of the
// column) and every pending payout's stored links consistent; for every
// paid conversion, its ledger entries sum to min(0, earned − paid).
func (f *payFix) checkLedger() {
	f.t.Helper()
	var bad int
	if err := f.st.DB().QueryRow(`SELECT count(*) FROM conversions c
		WHERE c.tenant_id = $1 AND c.paid_commission IS NOT NULL
		AND COALESCE((SELECT sum(amount) FROM payout_debts d WHERE d.conversion_id = c.id), 0)
			<> LEAST(0, (CASE WHEN c.status IN ('approved','pending','disputed') THEN c.commission ELSE 0 END) - c.paid_commission)`,
		f.tenantID).Scan(&bad); err != nil {
		f.t.Fatal(err)
	}
	if bad != 0 {
		f.t.Errorf("%d paid conversions whose clawback ledger does not match", bad)
	}
	if err := f.st.DB().QueryRow(`SELECT count(*) FROM conversions c
		LEFT JOIN payout_items i ON i.conversion_id = c.id LEFT JOIN payouts p ON p.id = i.payout_id
		WHERE c.tenant_id = $1 AND (p.affiliate_id <> c.affiliate_id OR p.currency <> c.currency OR p.status = 'cancelled'
			OR (i.conversion_id IS NOT NULL AND p.id IS NULL)
			OR (p.status IS NOT DISTINCT FROM 'paid') <> (c.paid_commission IS NOT NULL)
			OR c.payout_id IS DISTINCT FROM (CASE WHEN p.status = 'paid' THEN p.id END))`, f.tenantID).Scan(&bad); err != nil {
		f.t.Fatal(err)
	}
	if bad != 0 {
		f.t.Errorf("%d conversions linked to the wrong payout", bad)
	}
}
