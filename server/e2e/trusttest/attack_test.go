package trusttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The browsers of the attacks: the customer's, Mallory's (an affiliate
// who wants other affiliates' orders) and a prober's (anyone asking what
// the server knows about customers and coupons).
const (
	customerUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Customer/1.0"
	malloryUA  = "Mozilla/5.0 (X11; Linux x86_64) Mallory/1.0"
	proberUA   = "Mozilla/5.0 (Macintosh) Prober/1.0"
)

// conversionID is the form of every conversion id, stored or not.
var conversionID = regexp.MustCompile(`^cv_[a-z0-9]{16}$`)

// world is a shop with an honest affiliate whose click the customer
// carries and Mallory, who has clicked her own link.
type world struct {
	a                     *apptest.App
	ten                   apptest.Tenant
	honest, mallory       tracklane.Affiliate
	honestCID, malloryCID string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Trust Shop")
	w := &world{a: a, ten: ten, honest: a.NewAffiliate(t, ten.ID, "honest"), mallory: a.NewAffiliate(t, ten.ID, "mallory")}
	w.honestCID = w.click(t, "honest", customerUA)
	w.malloryCID = w.click(t, "mallory", malloryUA)
	return w
}

// answer is what the conversion endpoint said.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// id is the answer's conversionId; "" for null.
func (a answer) id(t *testing.T) string {
	t.Helper()
	var v struct {
		OK           bool    `json:"ok"`
		ConversionID *string `json:"conversionId"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &v) != nil || !v.OK {
		t.Fatalf("answer %d %s, want 200 {ok:true,…}", a.status, a.body)
	}
	if v.ConversionID == nil {
		return ""
	}
	return *v.ConversionID
}

// post sends a request the way the tracker (or a script imitating it) does:
// text/plain JSON with the browser's user agent, or with the tenant's token
// when token is not "".
func (w *world) post(ctx context.Context, path, ua, token string, body any) (answer, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", w.a.URL+path, bytes.NewReader(data))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("User-Agent", ua)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func (w *world) click(t *testing.T, aff, ua string) string {
	t.Helper()
	ans, err := w.post(context.Background(), "/tracking/click/v1", ua, "", map[string]string{"tenantId": w.ten.ID, "aff": aff, "url": "https://shop.example/"})
	if err != nil || ans.status != http.StatusOK {
		t.Fatalf("click %s: %v %d %s", aff, err, ans.status, ans.body)
	}
	return apptest.Decode[struct {
		CID string `json:"cid"`
	}](t, ans.body).CID
}

// report sends a conversion of type sale with fields, from the browser of
// ua, or from the merchant's server when token is not "".
func (w *world) report(t *testing.T, ua, token string, fields map[string]any) answer {
	t.Helper()
	body := map[string]any{"tenantId": w.ten.ID, "conversionType": "sale"}
	for k, v := range fields {
		body[k] = v
	}
	ans, err := w.post(context.Background(), "/tracking/conversion/v1", ua, token, body)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	return ans
}

// apiConversion is the merchant's view of a conversion (the API's JSON).
type apiConversion struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	Amount      int64    `json:"amount"`
	Commission  int64    `json:"commission"`
	AffiliateID string   `json:"affiliate_id"`
	Source      string   `json:"source"`
	Flags       []string `json:"flags"`
	ExternalID  *string  `json:"external_id"`
	History     []struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"history"`
}

// conversion reads a conversion as the merchant does (from the API's
// list); raw is its JSON.
func (w *world) conversion(t *testing.T, id string) (c apiConversion, raw string) {
	t.Helper()
	for _, r := range w.listRaw(t) {
		if c := apptest.Decode[apiConversion](t, r); c.ID == id {
			return c, string(r)
		}
	}
	t.Fatalf("conversion %s is not in the merchant's list", id)
	return apiConversion{}, ""
}

// list is the merchant's list of conversions.
func (w *world) list(t *testing.T) []apiConversion {
	t.Helper()
	var out []apiConversion
	for _, r := range w.listRaw(t) {
		out = append(out, apptest.Decode[apiConversion](t, r))
	}
	return out
}

func (w *world) listRaw(t *testing.T) []json.RawMessage {
	t.Helper()
	s, data := w.a.Do(t, "GET", "/api/v1/conversions?limit=100", nil, "Authorization: Bearer "+w.ten.Token)
	if s != http.StatusOK {
		t.Fatalf("conversions: %d %s", s, data)
	}
	return apptest.Decode[struct {
		Data []json.RawMessage `json:"data"`
	}](t, data).Data
}

// Mallory guesses the next order's externalId and reports it from her
// browser, with her own click and a tiny amount, before the merchant's
// server reports the real order. The trusted report wins whole: the
// honest affiliate, the real amount, the merchant's status, no browser
// flag, and a history line saying it replaced the browser's report; the
// merchant sees one conversion of that order.
func TestTrustedReportReplacesABrowserClaim(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	claim := w.report(t, malloryUA, "", map[string]any{
		"cid": w.malloryCID, "amount": map[string]string{"value": "1.00"}, "externalId": "order-1001",
		"status": "CONVERSION_STATUS_APPROVED",
	})
	if id := claim.id(t); !conversionID.MatchString(id) {
		t.Fatalf("browser claim answered %q", id)
	}
	real := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{
		"cid": w.honestCID, "amount": map[string]string{"value": "250.00"}, "externalId": "order-1001",
		"status": "CONVERSION_STATUS_APPROVED",
	})
	id := real.id(t)
	if id == "" {
		t.Fatalf("trusted report answered null: %s", real.body)
	}
	c, raw := w.conversion(t, id)
	if c.AffiliateID != w.honest.ID || c.Amount != 25000 || c.Commission != 5000 || c.Status != "approved" ||
		len(c.Flags) != 0 || c.Source != "click_id" {
		t.Errorf("after the trusted report: %s\nwant the honest affiliate %s, 25000, commission 5000, approved, no flags, by click",
			raw, w.honest.ID)
	}
	last := c.History[len(c.History)-1]
	if len(c.History) < 2 || !strings.Contains(last.Reason, "replaced") || !strings.Contains(last.Reason, "merchant's server") ||
		last.Status != "approved" {
		t.Errorf("history %+v, want a last line saying the merchant's server's report replaced the browser's", c.History)
	}
	var ofOrder []string
	for _, x := range w.list(t) {
		if x.ExternalID != nil && *x.ExternalID == "order-1001" {
			ofOrder = append(ofOrder, x.ID+" "+x.AffiliateID+" "+x.Status)
		}
	}
	if len(ofOrder) != 1 || !strings.HasPrefix(ofOrder[0], id+" ") {
		t.Errorf("the merchant's list holds %v for order-1001, want only %s", ofOrder, id)
	}
	// Repeating either report now changes nothing.
	before := raw
	w.report(t, malloryUA, "", map[string]any{"cid": w.malloryCID, "externalId": "order-1001", "amount": map[string]string{"value": "2.00"}})
	if again := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{"cid": w.honestCID, "externalId": "order-1001"}); again.id(t) != id {
		t.Errorf("the trusted repeat answered %s, want %s", again.body, id)
	}
	if _, after := w.conversion(t, id); after != before {
		t.Errorf("repeats changed the conversion:\n%s\nwas\n%s", after, before)
	}
}

// Mallory reports an order the merchant's server has already reported:
// nothing changes — not the affiliate, amount, status, history or time.
func TestBrowserReportAfterATrustedOneChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	real := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{
		"cid": w.honestCID, "amount": map[string]string{"value": "80.00"}, "externalId": "order-2002",
		"status": "CONVERSION_STATUS_APPROVED",
	})
	id := real.id(t)
	_, before := w.conversion(t, id)
	for _, fields := range []map[string]any{
		{"cid": w.malloryCID, "amount": map[string]string{"value": "9999.00"}, "externalId": "order-2002"},
		{"cid": w.malloryCID, "externalId": "order-2002", "status": "CONVERSION_STATUS_REJECTED"},
		{"externalId": "order-2002", "couponCodes": []string{"nothing"}},
	} {
		if ans := w.report(t, malloryUA, "", fields); ans.status != http.StatusOK {
			t.Errorf("browser report %v: %d %s", fields, ans.status, ans.body)
		}
	}
	if _, after := w.conversion(t, id); after != before {
		t.Errorf("a browser report changed the trusted conversion:\n%s\nwas\n%s", after, before)
	}
	if n := len(w.list(t)); n != 1 {
		t.Errorf("%d conversions listed, want 1", n)
	}
}

// A prober asks about a customer whose email is linked to an affiliate's
// click and about one nobody knows, and about an assigned coupon and an
// unassigned one. Each pair gets answers that cannot be told apart (the
// same status, headers and shape, an id of the same form, the same id
// again for a repeated externalId), and none of the probes leaves
// anything in the merchant's list or behind the ids it was given.
func TestProbesOfEmailsAndCouponsRevealNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if ans, err := w.post(ctx, "/tracking/external-cid/v1", customerUA, "",
		map[string]string{"tenantId": w.ten.ID, "cid": w.honestCID, "externalCid": "known@customer.example"}); err != nil || ans.status != http.StatusOK {
		t.Fatalf("the customer's email link: %v %d %s", err, ans.status, ans.body)
	}
	if _, err := w.a.Accounts.SetCoupons(ctx, w.ten.ID, w.honest.ID, []string{"SPRING"}); err != nil {
		t.Fatal(err)
	}
	var given []string
	probe := func(n int, fields map[string]any, externalID string) answer {
		f := map[string]any{"amount": map[string]string{"value": "10.00"}}
		for k, v := range fields {
			f[k] = v
		}
		if externalID != "" {
			f["externalId"] = externalID
		}
		ans := w.report(t, proberUA, "", f)
		if id := ans.id(t); !conversionID.MatchString(id) {
			t.Errorf("probe %d %v answered %s, want an id like cv_…", n, fields, ans.body)
		} else {
			given = append(given, id)
		}
		return ans
	}
	same := func(what string, x, y answer) {
		t.Helper()
		norm := func(a answer) string {
			if id := a.id(t); id != "" {
				return strings.Replace(string(a.body), id, "cv_…", 1)
			}
			return string(a.body)
		}
		if x.status != y.status || norm(x) != norm(y) || len(x.body) != len(y.body) ||
			x.header.Get("Content-Type") != y.header.Get("Content-Type") || x.header.Get("Content-Length") != y.header.Get("Content-Length") {
			t.Errorf("%s: the answers differ:\n%d %v %s\n%d %v %s", what, x.status, x.header, x.body, y.status, y.header, y.body)
		}
	}
	for i, pair := range []struct {
		name                 string
		attributed, stranger map[string]any
	}{
		{"an email", map[string]any{"externalCid": "Known@Customer.example"}, map[string]any{"externalCid": "unknown@customer.example"}},
		{"a coupon", map[string]any{"couponCodes": []string{"spring"}}, map[string]any{"couponCodes": []string{"winter"}}},
		{"both", map[string]any{"externalCid": "known@customer.example", "couponCodes": []string{"SPRING"}},
			map[string]any{"externalCid": "unknown@customer.example", "couponCodes": []string{"WINTER"}}},
	} {
		// Without an externalId, and with one (twice: a repeat answers the
		// same id, whether or not anything was stored).
		same(pair.name, probe(i, pair.attributed, ""), probe(i, pair.stranger, ""))
		extA, extB := fmt.Sprintf("probe-%d-a", i), fmt.Sprintf("probe-%d-b", i)
		a1, b1 := probe(i, pair.attributed, extA), probe(i, pair.stranger, extB)
		same(pair.name+" with an externalId", a1, b1)
		a2, b2 := probe(i, pair.attributed, extA), probe(i, pair.stranger, extB)
		if a2.id(t) != a1.id(t) || b2.id(t) != b1.id(t) {
			t.Errorf("%s: repeats answered %s, %s after %s, %s; want the same ids", pair.name, a2.body, b2.body, a1.body, b1.body)
		}
	}
	if got := w.list(t); len(got) != 0 {
		t.Errorf("the probes left %d conversions in the merchant's list: %+v", len(got), got)
	}
	for _, id := range given {
		if n := w.a.QueryInt(t, `SELECT count(*)::int FROM conversions WHERE id = $1`, id); n != 0 {
			t.Errorf("conversion %s, given to a probe, is stored", id)
		}
	}
	if n := w.a.QueryInt(t, `SELECT count(*)::int FROM conversions`); n != 0 {
		t.Errorf("the probes stored %d conversions", n)
	}

	// The merchant's server, which holds the token, is still told the truth.
	if id := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{"externalCid": "known@customer.example"}).id(t); id == "" {
		t.Errorf("a trusted report of the linked customer answered null")
	} else if c, raw := w.conversion(t, id); c.AffiliateID != w.honest.ID || c.Source != "email" {
		t.Errorf("trusted report by the email link: %s", raw)
	}
	if id := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{"externalCid": "unknown@customer.example"}).id(t); id != "" {
		t.Errorf("a trusted report of an unknown customer answered %s, want null", id)
	}
}

// Mallory's script keeps the browser reports' budget busy: reports that
// the database holds up (here: their order is being written by another
// transaction) take every browser slot, and more queue behind them. The
// merchant's trusted report is answered at once all the same, while one
// more browser report still waits for a browser slot.
func TestTrustedReportsDoNotWaitBehindBrowserReports(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	db := w.a.Store.DB()
	// A conversion whose externalId an open transaction changes to "held":
	// a report of "held" then waits on that transaction in the database.
	w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{"cid": w.honestCID, "externalId": "template"}).id(t)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE conversions SET external_id = 'held' WHERE tenant_id = $1 AND external_id = 'template'`, w.ten.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 30)
	burst := func(n int, externalID string) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := w.post(ctx, "/tracking/conversion/v1", malloryUA, "", map[string]any{
					"tenantId": w.ten.ID, "conversionType": "sale", "cid": w.malloryCID, "externalId": externalID,
				})
				if err != nil {
					t.Errorf("browser report: %v", err)
					return
				}
				statuses <- ans.status
			}()
		}
	}
	burst(2, "held")
	waitForLockWaits(t, w, 2)
	burst(20, "flood")

	start := time.Now()
	real := w.report(t, "merchant-server/1.0", w.ten.Token, map[string]any{"cid": w.honestCID, "externalId": "order-3003"})
	took := time.Since(start)
	if real.status != http.StatusOK || real.id(t) == "" || took > 2*time.Second {
		t.Errorf("trusted report during the burst: %d %s after %v, want 200 at once", real.status, real.body, took)
	}

	// The browser budget itself is unchanged: while the held reports keep
	// it, another browser report waits (and its caller gives up).
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ans, err := w.post(short, "/tracking/conversion/v1", malloryUA, "", map[string]any{
		"tenantId": w.ten.ID, "conversionType": "sale", "cid": w.malloryCID, "externalId": "one-more",
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a browser report beside the held ones: %v %d %s, want it still waiting for a browser slot after 1 s", err, ans.status, ans.body)
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK && s != http.StatusServiceUnavailable {
			t.Errorf("a browser report of the burst answered %d, want 200 or 503", s)
		}
	}
}

// waitForLockWaits waits until n queries of the app's database wait on a
// lock.
func waitForLockWaits(t *testing.T, w *world, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.a.QueryInt(t, `SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d queries waiting on a lock after 10 s, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
