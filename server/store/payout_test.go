package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestCreatePayoutsPerAffiliateAndCurrency: one payout per affiliate and
// currency holding its approved conversions, below the minimum none (the
// balance stays payable), test-mode conversions never, and a second call
// finds nothing.
func TestCreatePayoutsPerAffiliateAndCurrency(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 3)
	f.pay(sale{0, 10000, "usd"}, sale{0, 5000, "usd"}, sale{0, 1000, "eur"}, sale{1, 2000, "usd"}, sale{2, 500, "jpy"})
	f.setMinimum(300) // 3.00 usd: aff0 eur (200) stays out; jpy 100 ¥ too
	ps := f.create("")
	got := f.byKey(ps)
	if len(ps) != 2 || got["0/usd"].Amount != 3000 || got["1/usd"].Amount != 400 {
		t.Fatalf("payouts = %+v", got)
	}
	p := got["0/usd"]
	if p.Status != tracklane.PayoutPending || len(p.ConversionIDs) != 2 || len(p.Adjustments) != 0 || p.PaidAt != nil {
		t.Errorf("payout = %+v", p)
	}
	for _, id := range p.ConversionIDs {
		c, err := f.st.Conversion(f.ctx, f.tenantID, id)
		if err != nil || c.PayoutID != p.ID || c.Status != "approved" {
			t.Errorf("conversion %s: payout %q status %s (%v)", id, c.PayoutID, c.Status, err)
		}
	}
	if again := f.create(""); len(again) != 0 {
		t.Errorf("second create made %d payouts", len(again))
	}
	bal, err := f.st.PayoutBalances(f.ctx, f.tenantID, "", 100)
	if err != nil || len(bal) != 2 {
		t.Fatalf("balances = %+v, %v", bal, err)
	}
	f.setMinimum(0)
	if ps := f.create(f.affs[2].ID); len(ps) != 1 || ps[0].Currency != "jpy" || ps[0].Amount != 100 {
		t.Errorf("one affiliate's create = %+v", ps)
	}
	f.checkLedger()
}

// TestPayoutTransitions: pending → paid freezes and mails; paid and
// cancelled payouts refuse every transition (conflict) and change
// nothing; another tenant's payout is not found; cancel frees the
// conversions for the next payout.
func TestPayoutTransitions(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 2)
	f.pay(sale{0, 10000, "usd"}, sale{1, 5000, "usd"})
	ps := f.byKey(f.create(""))
	paid := f.paid(ps["0/usd"].ID)
	if paid.Status != tracklane.PayoutPaid || paid.PaidAt == nil || paid.Reference != "ref-"+paid.ID || paid.Amount != 2000 {
		t.Errorf("paid = %+v", paid)
	}
	var mails int
	f.st.DB().QueryRow(`SELECT count(*) FROM mail_outbox WHERE tenant_id = $1 AND kind = 'payout_paid'`, f.tenantID).Scan(&mails)
	if mails != 1 {
		t.Errorf("%d payout mails, want 1", mails)
	}
	if _, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, paid.ID, "again", noMail); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("paying a paid payout: %v", err)
	}
	if _, err := f.st.CancelPayout(f.ctx, f.tenantID, paid.ID); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("cancelling a paid payout: %v", err)
	}
	cancelled, err := f.st.CancelPayout(f.ctx, f.tenantID, ps["1/usd"].ID)
	if err != nil || cancelled.Status != tracklane.PayoutCancelled || len(cancelled.ConversionIDs) != 1 {
		t.Fatalf("cancel = %+v, %v", cancelled, err)
	}
	if _, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, cancelled.ID, "", noMail); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("paying a cancelled payout: %v", err)
	}
	if _, err := f.st.CancelPayout(f.ctx, f.tenantID, cancelled.ID); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("cancelling a cancelled payout: %v", err)
	}
	other := newPayFixOn(t, f.st, 1)
	if _, err := f.st.MarkPayoutPaid(f.ctx, other.tenantID, paid.ID, "", noMail); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another tenant paying: %v", err)
	}
	if _, err := f.st.Payout(f.ctx, other.tenantID, paid.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another tenant reading: %v", err)
	}
	f.st.DB().QueryRow(`SELECT count(*) FROM mail_outbox WHERE tenant_id = $1 AND kind = 'payout_paid'`, f.tenantID).Scan(&mails)
	if mails != 1 {
		t.Errorf("refused transitions mailed: %d mails", mails)
	}
	again := f.create("")
	if len(again) != 1 || again[0].AffiliateID != f.affs[1].ID || again[0].Amount != 1000 {
		t.Errorf("after cancel: %+v", again)
	}
	f.checkLedger()
}

// TestRefundBeforePaymentLowersPendingPayout: a pending payout's amount
// follows its conversions; one that comes to nothing cannot be paid.
func TestRefundBeforePaymentLowersPendingPayout(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 1)
	ch := f.pay(sale{0, 10000, "usd"}, sale{0, 5000, "usd"})
	p := f.create("")[0]
	if p.Amount != 3000 {
		t.Fatalf("amount = %d", p.Amount)
	}
	if err := f.refund(ch[0], 4000); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.st.Payout(f.ctx, f.tenantID, p.ID); got.Amount != 2200 {
		t.Errorf("after a partial refund: %d, want 2200", got.Amount)
	}
	f.refund(ch[0], 10000)
	f.refund(ch[1], 5000)
	if got, _ := f.st.Payout(f.ctx, f.tenantID, p.ID); got.Amount != 0 {
		t.Errorf("after full refunds: %d, want 0", got.Amount)
	}
	if _, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, p.ID, "", noMail); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("paying a payout of 0: %v", err)
	}
	var debts int
	f.st.DB().QueryRow(`SELECT count(*) FROM payout_debts WHERE tenant_id = $1`, f.tenantID).Scan(&debts)
	if debts != 0 {
		t.Errorf("refunds before payment recorded %d debts", debts)
	}
	f.checkLedger()
}

// TestClawbackAfterPayment: a refund, a partial refund and a lost dispute
// of paid commission become debts; the next payout nets them as negative
// adjustments; while the net is not payable they carry over.
func TestClawbackAfterPayment(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 1)
	ch := f.pay(sale{0, 10000, "usd"}, sale{0, 5000, "usd"}, sale{0, 20000, "usd"})
	first := f.create("")[0]
	f.paid(first.ID)
	if err := f.refund(ch[0], 10000); err != nil { // -2000
		t.Fatal(err)
	}
	f.refund(ch[1], 2500) // partial: -500
	f.disputeLost(ch[2])  // -4000
	debts, err := f.st.PayoutDebts(f.ctx, f.tenantID, f.affs[0].ID)
	if err != nil || len(debts) != 3 {
		t.Fatalf("debts = %+v, %v", debts, err)
	}
	// Newest first; each worded from its conversion's new state.
	for i, want := range []struct {
		amount int64
		reason string
	}{{-4000, "clawback: dispute lost"}, {-500, "clawback: partially refunded"}, {-2000, "clawback: fully refunded"}} {
		if debts[i].Amount != want.amount || debts[i].Reason != want.reason {
			t.Errorf("debt %d = %d %q, want %d %q", i, debts[i].Amount, debts[i].Reason, want.amount, want.reason)
		}
	}
	if frozen, _ := f.st.Payout(f.ctx, f.tenantID, first.ID); frozen.Amount != 7000 {
		t.Errorf("the paid payout changed: %d", frozen.Amount)
	}
	// New commission of 2000 against 6500 owed: nothing payable; carried over.
	f.pay(sale{0, 10000, "usd"})
	if ps := f.create(""); len(ps) != 0 {
		t.Fatalf("net negative made payouts: %+v", ps)
	}
	f.pay(sale{0, 30000, "usd"}) // +6000: net 1500
	ps := f.create("")
	if len(ps) != 1 || ps[0].Amount != 1500 || len(ps[0].Adjustments) != 3 || len(ps[0].ConversionIDs) != 2 {
		t.Fatalf("next payout = %+v", ps)
	}
	var sum int64
	for _, a := range ps[0].Adjustments {
		if a.Amount >= 0 || a.Reason == "" || a.ConversionID == "" {
			t.Errorf("adjustment %+v", a)
		}
		sum += a.Amount
	}
	if sum != -6500 {
		t.Errorf("adjustments sum to %d, want -6500", sum)
	}
	// Cancelling gives the debts back to the ledger, open again.
	if _, err := f.st.CancelPayout(f.ctx, f.tenantID, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	again := f.create("")
	if len(again) != 1 || again[0].Amount != 1500 || len(again[0].Adjustments) != 3 {
		t.Errorf("after cancel: %+v", again)
	}
	f.checkLedger()
}

// TestConcurrentCreatesNeverShareAConversion: several creators at once,
// each on its own connection, end with every approved conversion in
// exactly one payout and the payouts adding up to the commission.
func TestConcurrentCreatesNeverShareAConversion(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 6)
	var sales []sale
	for i := 0; i < 120; i++ {
		sales = append(sales, sale{i % 6, int64(1000 + i), []string{"usd", "eur"}[(i/6)%2]})
	}
	f.pay(sales...)
	var wg sync.WaitGroup
	results := make([][]tracklane.Payout, 8)
	errs := make([]error, 8)
	for g := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[g], errs[g] = f.st.CreatePayouts(context.Background(), f.tenantID, "", func() string { return ident.New("po_") })
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	var total, made int64
	for g, ps := range results {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		for _, p := range ps {
			made++
			total += p.Amount
			for _, id := range p.ConversionIDs {
				if other, dup := seen[id]; dup {
					t.Fatalf("conversion %s in %s and %s", id, other, p.ID)
				}
				seen[id] = p.ID
			}
		}
	}
	var want int64
	f.st.DB().QueryRow(`SELECT sum(commission) FROM conversions WHERE tenant_id = $1`, f.tenantID).Scan(&want)
	if len(seen) != 120 || made != 12 || total != want {
		t.Errorf("%d conversions in %d payouts totalling %d, want 120 in 12 totalling %d", len(seen), made, total, want)
	}
}

// TestRefundsDuringCreateAndPayStayConsistent: refunds applied while
// payouts are created and paid (real concurrency) leave every pending
// payout following its conversions and every paid commission's ledger
// exact.
func TestRefundsDuringCreateAndPayStayConsistent(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 4)
	var sales []sale
	for i := 0; i < 80; i++ {
		sales = append(sales, sale{i % 4, 10000, "usd"})
	}
	charges := f.pay(sales...)
	refunder := *f
	refunder.n = 1_000_000 // its own event ids
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(done)
		for i, ch := range charges {
			if err := refunder.refund(ch, int64(2500*(1+i%4))); err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		}
	}()
	for round := 0; round < 4 || !isClosed(done); round++ {
		for _, p := range f.create("") {
			if round%2 == 0 {
				_, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, p.ID, "", noMail)
				if err != nil && !apperr.Is(err, apperr.Conflict) {
					t.Fatal(err)
				}
			}
		}
	}
	wg.Wait()
	f.checkLedger()
	ps, err := f.st.Payouts(f.ctx, f.tenantID, store.PayoutFilter{Status: tracklane.PayoutPending}, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		var want int64
		f.st.DB().QueryRow(`SELECT COALESCE(sum(CASE WHEN status IN ('approved','pending','disputed') THEN commission ELSE 0 END), 0)
			+ COALESCE((SELECT sum(amount) FROM payout_debts WHERE payout_id = $1), 0)
			FROM conversions WHERE id IN (SELECT conversion_id FROM payout_items WHERE payout_id = $1)`, p.ID).Scan(&want)
		if p.Amount != want {
			t.Errorf("pending payout %s: %d, its conversions say %d", p.ID, p.Amount, want)
		}
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestRefundBetweenSumAndInsertDropsThePayout pins the race a refund can
// win against creation: the batch has summed the payable commission, a
// full refund commits, then the batch inserts. The payout would be
// unpayable (net < 0), so the batch drops it again: no payout, nothing
// taken, the debt still open. The batch is held between its two steps by
// a lock on the open debt it must lock next.
func TestRefundBetweenSumAndInsertDropsThePayout(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 1)
	ch := f.pay(sale{0, 10000, "usd"})
	f.paid(f.create("")[0].ID)
	if err := f.refund(ch[0], 5000); err != nil { // a debt of -1000, open
		t.Fatal(err)
	}
	late := f.pay(sale{0, 10000, "usd"}) // +2000: net 1000, payable
	hold, err := f.st.DB().BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(`SELECT id FROM payout_debts WHERE tenant_id = $1 FOR UPDATE`, f.tenantID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ps  []tracklane.Payout
		err error
	}
	done := make(chan result, 1)
	go func() {
		ps, err := f.st.CreatePayouts(context.Background(), f.tenantID, "", func() string { return ident.New("po_") })
		done <- result{ps, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for waiting := 0; waiting == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for the debt's lock")
		}
		if err := f.st.DB().QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	refunder := *f
	refunder.n = 1_000_000
	if err := refunder.refund(late[0], 10000); err != nil {
		t.Fatal(err)
	}
	hold.Rollback()
	r := <-done
	if r.err != nil || len(r.ps) != 0 {
		t.Fatalf("create = %+v, %v; want nothing", r.ps, r.err)
	}
	var payouts, items, open int
	f.st.DB().QueryRow(`SELECT (SELECT count(*) FROM payouts), (SELECT count(*) FROM payout_items WHERE payout_id IN (SELECT id FROM payouts WHERE status = 'pending')),
		(SELECT count(*) FROM payout_debts WHERE payout_id IS NULL)`).Scan(&payouts, &items, &open)
	if payouts != 1 || items != 0 || open != 1 {
		t.Errorf("%d payouts, %d pending items, %d open debts; want 1, 0, 1", payouts, items, open)
	}
	f.checkLedger()
}
