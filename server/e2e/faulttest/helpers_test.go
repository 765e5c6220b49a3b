package faulttest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/stripesync"
	"github.com/tracklane/tracklane/server/testkit/fakestripe"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

const (
	liveKey     = "sk_live_faulttest"
	testKey     = "sk_test_faulttest"
	liveWebhook = "whsec_live_faulttest"
	secretKey   = "faulttest-secret-key-0123456789"
)

func TestMain(m *testing.M) {
	code := m.Run()
	fault.Cleanup()
	os.Exit(code)
}

// newFakeStripe starts a fake Stripe that knows the platform keys.
func newFakeStripe(t testing.TB) *fakestripe.Server {
	fs := fakestripe.New()
	t.Cleanup(fs.Close)
	fs.AddKey(liveKey)
	fs.AddKey(testKey)
	return fs
}

// newProxy starts a recording proxy in front of fs.
func newProxy(t testing.TB, fs *fakestripe.Server) *fault.Proxy {
	p := fault.NewProxy(fs.URL())
	t.Cleanup(p.Close)
	return p
}

// merchant is a provisioned tenant with one affiliate and one click.
type merchant struct {
	TenantID string
	OriginID string
	Token    string
	Aff      tracklane.Affiliate
	ClickID  string
}

// provision creates a tenant and an affiliate directly in the store, and a
// click made a moment ago; emails are linked to that click.
func provision(t testing.TB, st *store.Store, emails ...string) merchant {
	t.Helper()
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4}
	r, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Fault Merchant", Email: "owner@merchant.example",
		Password: "correct horse battery", Website: "https://shop.example"})
	if err != nil {
		t.Fatalf("creating tenant: %v", err)
	}
	aff, err := svc.CreateAffiliate(ctx, r.Tenant.ID, account.AffiliateInput{Name: "Partner", Email: "partner@partners.example", Code: "partner"})
	if err != nil {
		t.Fatalf("creating affiliate: %v", err)
	}
	m := merchant{TenantID: r.Tenant.ID, OriginID: r.RevenueOriginID, Token: r.PersonalToken, Aff: aff, ClickID: ident.ClickID()}
	if err := st.InsertClicks(ctx, []tracklane.Click{{ID: m.ClickID, TenantID: m.TenantID, AffiliateID: aff.ID,
		CreatedAt: time.Now().UTC().Add(-time.Minute), LandingURL: "https://shop.example/", UserAgent: "Mozilla/5.0 faulttest"}}); err != nil {
		t.Fatalf("inserting click: %v", err)
	}
	for _, e := range emails {
		if _, err := st.CreateLink(ctx, m.TenantID, m.ClickID, e, ""); err != nil {
			t.Fatalf("linking %s: %v", e, err)
		}
	}
	return m
}

func connect(t testing.TB, st *store.Store, tenantID, acct string) tracklane.StripeConnection {
	t.Helper()
	conn, err := st.Connect(context.Background(), tenantID, acct, true, "usr_faulttest", "…abcd")
	if err != nil {
		t.Fatalf("connecting %s: %v", acct, err)
	}
	return conn
}

// newEngine returns a sync engine of its own on st, reading Stripe at
// baseURL with a short per-request timeout and backoff, so timeouts and
// retries take milliseconds, not the production 30 s.
func newEngine(t testing.TB, st *store.Store, baseURL string, timeout, backoff time.Duration) *stripesync.Engine {
	live := stripesync.NewClient(stripesync.ClientOptions{Key: liveKey, BaseURL: baseURL, Timeout: timeout, Attempts: 4, Backoff: backoff})
	return stripesync.New(st, live, nil, time.Hour, discardLog(t), time.Now)
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// handledEvents lists the ids of account's events that Tracklane reads
// (stripesync.EventTypes), oldest first, with their raw JSON.
func handledEvents(fs *fakestripe.Server, account string) (ids []string, raw map[string]json.RawMessage) {
	raw = map[string]json.RawMessage{}
	all := fs.Events(account) // newest first
	for i := len(all) - 1; i >= 0; i-- {
		var ev struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(all[i], &ev); err != nil {
			panic(err)
		}
		for _, t := range stripesync.EventTypes {
			if t == ev.Type {
				ids = append(ids, ev.ID)
				raw[ev.ID] = all[i]
			}
		}
	}
	return ids, raw
}

// ledger is the money-relevant state of a database, for exactly-once
// checks.
type ledger struct {
	Conversions    int
	CreatedRows    int             // history rows that created a conversion
	DoubledCreated int             // conversions with more than one creation row
	Events         int             // stripe_events rows of the account
	EventIDs       map[string]bool // their event ids
	// State is "source status amount commission" per conversion, sorted.
	State []string
}

func readLedger(t testing.TB, db *sql.DB, account string) ledger {
	t.Helper()
	var l ledger
	l.Conversions = queryInt(t, db, `SELECT count(*) FROM conversions WHERE stripe_account = $1`, account)
	l.CreatedRows = queryInt(t, db, `SELECT count(*) FROM conversion_history h JOIN conversions c ON c.id = h.conversion_id
		WHERE c.stripe_account = $1 AND h.reason LIKE 'conversion created%'`, account)
	l.DoubledCreated = queryInt(t, db, `SELECT count(*) FROM (SELECT h.conversion_id FROM conversion_history h
		JOIN conversions c ON c.id = h.conversion_id WHERE c.stripe_account = $1 AND h.reason LIKE 'conversion created%'
		GROUP BY h.conversion_id HAVING count(*) > 1) d`, account)
	l.EventIDs = map[string]bool{}
	ids, err := db.Query(`SELECT event_id FROM stripe_events WHERE account_id = $1`, account)
	if err != nil {
		t.Fatal(err)
	}
	defer ids.Close()
	for ids.Next() {
		var id string
		if err := ids.Scan(&id); err != nil {
			t.Fatal(err)
		}
		l.EventIDs[id] = true
	}
	if err := ids.Err(); err != nil {
		t.Fatal(err)
	}
	l.Events = len(l.EventIDs)
	rows, err := db.Query(`SELECT source_id, status, amount, commission FROM conversions WHERE stripe_account = $1`, account)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, status string
		var amount, commission int64
		if err := rows.Scan(&src, &status, &amount, &commission); err != nil {
			t.Fatal(err)
		}
		l.State = append(l.State, fmt.Sprintf("%s %s %d %d", src, status, amount, commission))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(l.State)
	return l
}

// checkExactlyOnce fails the test unless the ledger shows want conversions,
// each created once, and one stripe_events row per handled event
// (wantEvents, as handledEvents lists them) and no other.
func checkExactlyOnce(t testing.TB, l ledger, wantConversions int, wantEvents []string) (lost, doubled int) {
	t.Helper()
	if l.Conversions < wantConversions {
		lost = wantConversions - l.Conversions
	}
	if l.Conversions > wantConversions {
		doubled = l.Conversions - wantConversions
	}
	doubled += l.DoubledCreated
	if l.Conversions != wantConversions {
		t.Errorf("%d conversions, want %d", l.Conversions, wantConversions)
	}
	if l.CreatedRows != l.Conversions || l.DoubledCreated != 0 {
		t.Errorf("%d creation history rows for %d conversions (%d conversions created more than once)", l.CreatedRows, l.Conversions, l.DoubledCreated)
	}
	if l.Events != len(wantEvents) {
		t.Errorf("%d stripe_events rows, want %d (one per distinct event)", l.Events, len(wantEvents))
	}
	want := map[string]bool{}
	var missing, extra []string
	for _, id := range wantEvents {
		want[id] = true
		if !l.EventIDs[id] {
			missing = append(missing, id)
		}
	}
	for id := range l.EventIDs {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		sort.Strings(extra)
		t.Errorf("stripe_events differ from the handled events: %d never recorded %s, %d recorded that Stripe does not list %s",
			len(missing), firstFew(missing), len(extra), firstFew(extra))
	}
	return lost, doubled
}

// firstFew shows up to five ids of a list.
func firstFew(ids []string) string {
	if len(ids) > 5 {
		return fmt.Sprintf("%v…", ids[:5])
	}
	return fmt.Sprint(ids)
}

func discardLog(t testing.TB) *slog.Logger { return storetest.Logger(t) }

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
