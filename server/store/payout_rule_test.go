package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/payout"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// TestPayoutRuleSQLAgreesWithGo evaluates the store's SQL fragments of the
// payout rule on a conversion of every status, in no payout, in a paid
// one and in a pending one, and checks each row against package payout:
// what it earns (Earned) and whether it is payable (Payable).
func TestPayoutRuleSQLAgreesWithGo(t *testing.T) {
	st, _ := storetest.New(t)
	ctx := context.Background()
	tenantID, affs := newClickTenant(t, st, 1)
	db := st.DB()
	now := time.Now().UTC()
	for _, q := range []string{
		`INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, created_at) VALUES ('po_paid', $1, $2, 'usd', 0, 'paid', $3)`,
		`INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, created_at) VALUES ('po_pending', $1, $2, 'usd', 0, 'pending', $3)`,
	} {
		if _, err := db.ExecContext(ctx, q, tenantID, affs[0].ID, now); err != nil {
			t.Fatal(err)
		}
	}
	places := []string{"none", "paid", "pending"}
	type row struct {
		status conversion.Status
		place  string
	}
	want := map[string]row{}
	for _, s := range conversion.Statuses {
		for _, place := range places {
			id := fmt.Sprintf("cv_%s_%s", s, place)
			want[id] = row{s, place}
			var paidPayout any
			if place == "paid" {
				paidPayout = "po_paid"
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, stripe_account,
					livemode, source_id, currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency,
					status, created_at, updated_at, payout_id)
				VALUES ($1, $2, $3, '', '', '', true, $1, 'usd', 3500, 3500, 700, 'percent', 2000, 0, '', $4, $5, $5, $6)`,
				id, tenantID, affs[0].ID, string(s), now, paidPayout); err != nil {
				t.Fatal(err)
			}
			if place == "pending" {
				if _, err := db.ExecContext(ctx, `INSERT INTO payout_items (conversion_id, tenant_id, payout_id, commission)
					VALUES ($1, $2, 'po_pending', 700)`, id, tenantID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT c.id, `+store.EarnedCommissionSQL+`, `+store.PayableConversionSQL+`
		FROM conversions c WHERE c.tenant_id = $1`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id string
		var earned int64
		var payable bool
		if err := rows.Scan(&id, &earned, &payable); err != nil {
			t.Fatal(err)
		}
		seen++
		r := want[id]
		if w := payout.Earned(r.status, 700); earned != w {
			t.Errorf("%s in %s payout: SQL earns %d, payout.Earned %d", r.status, r.place, earned, w)
		}
		if w := payout.Payable(r.status, r.place != "none"); payable != w {
			t.Errorf("%s in %s payout: SQL payable %v, payout.Payable %v", r.status, r.place, payable, w)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(conversion.Statuses)*len(places) {
		t.Fatalf("evaluated %d rows, want %d", seen, len(conversion.Statuses)*len(places))
	}
	// Payout creation reads payable conversions through the
	// conversions_payable partial index: the fragment must imply its
	// predicate (written as the migration writes it). In a transaction
	// rolled back, the table's other indexes are dropped, so the planner
	// can only choose that one or a (disabled) sequential scan.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	others, err := tx.QueryContext(ctx, `SELECT x.indexrelid::regclass::text FROM pg_index x
		WHERE x.indrelid = 'conversions'::regclass AND x.indexrelid <> 'conversions_payable'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`)
	if err != nil {
		t.Fatal(err)
	}
	var drop []string
	for others.Next() {
		var name string
		if err := others.Scan(&name); err != nil {
			t.Fatal(err)
		}
		drop = append(drop, name)
	}
	others.Close()
	if _, err := tx.ExecContext(ctx, `DROP INDEX `+strings.Join(drop, ", ")+`; SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := tx.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) SELECT sum(c.commission) FROM conversions c
		WHERE c.tenant_id = $1 AND c.affiliate_id = $2 AND c.currency = 'usd' AND `+store.PayableConversionSQL,
		tenantID, affs[0].ID).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, `"Index Name": "conversions_payable"`) {
		t.Errorf("the payable fragment does not reach the conversions_payable index:\n%s", plan)
	}
}
