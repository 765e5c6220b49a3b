package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestConversionRollupsMatchARecount: after conversions are created,
// refunded, rejected by the merchant and re-bucketed in another timezone,
// both conversion rollups equal a recount from the conversions.
func TestConversionRollupsMatchARecount(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 3)
	now := time.Now().UTC().Truncate(time.Microsecond)
	var clicks []tracklane.Click
	for i := 0; i < 30; i++ {
		clicks = append(clicks, tracklane.Click{ID: fmt.Sprintf("c%02d", i), TenantID: tenantID, AffiliateID: affs[i%3].ID,
			CreatedAt: now.Add(-time.Hour), VisitorHash: []byte(fmt.Sprintf("v%02d", i))})
	}
	if err := st.InsertClicks(ctx, clicks); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if _, err := st.CreateLink(ctx, tenantID, fmt.Sprintf("c%02d", i), fmt.Sprintf("buyer%d@example.com", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := st.Connect(ctx, tenantID, "acct_rollup", true, "usr", "…")
	if err != nil {
		t.Fatal(err)
	}
	var page []tracklane.StripeEvent
	for i := 0; i < 30; i++ {
		cur := []string{"usd", "eur"}[i%2]
		paid := now.Add(time.Duration(i) * 7 * time.Hour) // spread over days
		page = append(page, tracklane.StripeEvent{ID: fmt.Sprintf("evt_p%d", i), Type: "invoice.paid", Created: paid, Livemode: true,
			Payment: &tracklane.PaymentFact{SourceID: fmt.Sprintf("in_%d", i), CustomerID: fmt.Sprintf("cus_%d", i), Email: fmt.Sprintf("buyer%d@example.com", i),
				Amount: int64(1000 + i), Currency: cur, PaidAt: paid, InvoiceID: fmt.Sprintf("in_%d", i), ChargeID: fmt.Sprintf("ch_%d", i)}})
	}
	if _, err := st.ApplyEvents(ctx, conn, page, nil); err != nil {
		t.Fatal(err)
	}
	var refunds []tracklane.StripeEvent
	for i := 0; i < 30; i += 4 {
		refunds = append(refunds, tracklane.StripeEvent{ID: fmt.Sprintf("evt_r%d", i), Type: "charge.refunded", Created: now, Livemode: true,
			Charge: &tracklane.ChargeFact{ChargeID: fmt.Sprintf("ch_%d", i), AmountRefunded: int64(300 * (i % 3))}})
	}
	if _, err := st.ApplyEvents(ctx, conn, refunds, nil); err != nil {
		t.Fatal(err)
	}
	convs, err := st.Conversions(ctx, tenantID, store.ConversionFilter{}, store.Page{Limit: 5})
	if err != nil || len(convs) == 0 {
		t.Fatal(convs, err)
	}
	if _, err := st.SetConversionManualStatus(ctx, tenantID, convs[0].ID, "rejected"); err != nil {
		t.Fatal(err)
	}
	checkConversionRollups(t, st, tenantID, "UTC")
	if err := st.RebuildRollups(ctx, tenantID, "Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	checkConversionRollups(t, st, tenantID, "Asia/Tokyo")
}

func checkConversionRollups(t *testing.T, st *store.Store, tenantID, tz string) {
	t.Helper()
	for _, q := range []string{
		// per affiliate
		`SELECT count(*) FROM (
			(SELECT day, affiliate_id, currency, status, conversions, amount, commission FROM conversion_days
				WHERE tenant_id = $1 AND (conversions <> 0 OR amount <> 0 OR commission <> 0)
			EXCEPT
			SELECT (created_at AT TIME ZONE $2)::date, affiliate_id, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4)
			UNION ALL
			(SELECT (created_at AT TIME ZONE $2)::date, affiliate_id, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4
			EXCEPT
			SELECT day, affiliate_id, currency, status, conversions, amount, commission FROM conversion_days WHERE tenant_id = $1)) d`,
		// per tenant
		`SELECT count(*) FROM (
			(SELECT day, currency, status, conversions, amount, commission FROM tenant_conversion_days
				WHERE tenant_id = $1 AND (conversions <> 0 OR amount <> 0 OR commission <> 0)
			EXCEPT
			SELECT (created_at AT TIME ZONE $2)::date, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 1, 2, 3)
			UNION ALL
			(SELECT (created_at AT TIME ZONE $2)::date, currency, status, count(*), sum(amount), sum(commission)
				FROM conversions WHERE tenant_id = $1 GROUP BY 1, 2, 3
			EXCEPT
			SELECT day, currency, status, conversions, amount, commission FROM tenant_conversion_days WHERE tenant_id = $1)) d`,
	} {
		var diff int
		if err := st.DB().QueryRowContext(context.Background(), q, tenantID, tz).Scan(&diff); err != nil {
			t.Fatal(err)
		}
		if diff != 0 {
			t.Errorf("%s: %d rollup rows differ from a recount", tz, diff)
		}
	}
}
