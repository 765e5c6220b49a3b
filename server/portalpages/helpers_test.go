package portalpages_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/portalpages"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/throttle"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/static"
)

const testCSRF = "csrf-token-of-the-test-session"

// janePassword is the viewer's portal password (the payout email form asks
// for it); testSession is the viewer's session id hash.
const janePassword = "jane's long password"

var testSession = []byte("hash-of-the-test-session")

// world is a tenant with two affiliates, "jane" (the viewer) and "rival",
// the portal pages mounted at /p/:slug with a test Who, and helpers to
// write conversions and payouts.
type world struct {
	t        *testing.T
	st       *store.Store
	srv      *httptest.Server
	tenant   tracklane.Tenant
	me       tracklane.Affiliate
	rival    tracklane.Affiliate
	now      time.Time
	seq      int
	password *passwords
}

// passwords is a fake Deps.ChangePassword: it records the calls and
// refuses a wrong current password.
type passwords struct {
	mu      sync.Mutex
	current string
	calls   []string
	kept    [][]byte // the keepSession of each call
}

func (p *passwords) change(_ context.Context, tenantID, affiliateID, current, next string, keepSession []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, tenantID+"|"+affiliateID+"|"+current+"|"+next)
	p.kept = append(p.kept, keepSession)
	if current != p.current {
		return apperr.Errorf(apperr.Unauthorized, "the current password is wrong")
	}
	if len(next) < 10 {
		return apperr.Errorf(apperr.Invalid, "the new password needs at least 10 characters")
	}
	p.current = next
	return nil
}

// newWorld builds the world; who, when given, replaces the fixed viewer.
func newWorld(t *testing.T, who func(w *world) func(c *gin.Context) (portalpages.Viewer, bool)) *world {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Acme Coffee", Email: "owner@acme.example", Password: "correct horse battery", Website: "https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, tenant: ten.Tenant, now: time.Now().UTC().Truncate(time.Second), password: &passwords{current: "old password 123"}}
	w.me, err = svc.CreateAffiliate(ctx, ten.Tenant.ID, account.AffiliateInput{Name: "Jane Partner", Email: "jane@partners.example", Code: "jane"})
	if err != nil {
		t.Fatal(err)
	}
	w.rival, err = svc.CreateAffiliate(ctx, ten.Tenant.ID, account.AffiliateInput{Name: "Rival Partner", Email: "rival@partners.example", Code: "rival"})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := account.HashPassword(janePassword, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAffiliatePassword(ctx, ten.Tenant.ID, w.me.ID, hash, nil); err != nil {
		t.Fatal(err)
	}
	fixed := func(c *gin.Context) (portalpages.Viewer, bool) {
		// Read per request, as the portal's middleware does: a saved payout
		// email shows on the next page.
		a, err := st.Affiliate(c.Request.Context(), w.tenant.ID, w.me.ID)
		if err != nil {
			return portalpages.Viewer{}, false
		}
		return portalpages.Viewer{Tenant: w.tenant, Affiliate: a, CSRF: testCSRF, Session: testSession}, true
	}
	whoFn := fixed
	if who != nil {
		whoFn = who(w)
	}
	h := portalpages.New(portalpages.Deps{Store: st, Who: whoFn, ChangePassword: w.password.change, SetPayoutEmail: svc.SetOwnPayoutEmail,
		Recheck: signin.Recheck{Throttle: throttle.New(st, []byte("test throttle key"), time.Now), Key: "portal-password"},
		Now:     func() time.Time { return w.now }, PublicURL: "https://track.example", Log: storetest.Logger(t)})
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.StaticFS("/static", http.FS(static.FS))
	h.Register(r.Group("/p/:slug"))
	w.srv = httptest.NewServer(r)
	t.Cleanup(w.srv.Close)
	return w
}

// conversion writes a conversion of aff (raw SQL: the rollup triggers keep
// the daily tables right, as for every writer).
func (w *world) conversion(aff tracklane.Affiliate, at time.Time, customer, cur, status string, amount, commission int64, payout string) string {
	w.t.Helper()
	w.seq++
	id := fmt.Sprintf("cv_pages_%03d", w.seq)
	var payoutID any
	if payout != "" {
		payoutID = payout
	}
	if _, err := w.st.DB().Exec(`INSERT INTO conversions (id, tenant_id, affiliate_id, click_id, external_cid, stripe_account, livemode,
			source_id, currency, gross_amount, amount, commission, rule_type, rule_bp, rule_fixed, rule_currency, status,
			created_at, updated_at, payout_id)
		VALUES ($1, $2, $3, '', $4, 'acct_pages', true, $1, $5, $6, $6, $7, 'percent', 2000, 0, '', $8, $9, $9, $10)`,
		id, w.tenant.ID, aff.ID, customer, cur, amount, commission, status, at, payoutID); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) payout(id string, aff tracklane.Affiliate, cur, status, reference string, amount int64, at time.Time) {
	w.t.Helper()
	var paid any
	if status == "paid" {
		paid = at.Add(24 * time.Hour)
	}
	if _, err := w.st.DB().Exec(`INSERT INTO payouts (id, tenant_id, affiliate_id, currency, amount, status, reference, created_at, paid_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, w.tenant.ID, aff.ID, cur, amount, status, reference, at, paid); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) clicks(aff tracklane.Affiliate, n int, at time.Time) {
	w.t.Helper()
	var cs []tracklane.Click
	for i := 0; i < n; i++ {
		w.seq++
		cs = append(cs, tracklane.Click{ID: fmt.Sprintf("ck_pages_%04d", w.seq), TenantID: w.tenant.ID, AffiliateID: aff.ID,
			CreatedAt: at.Add(time.Duration(i) * time.Second), VisitorHash: []byte(fmt.Sprintf("v%d", w.seq))})
	}
	if err := w.st.InsertClicks(context.Background(), cs); err != nil {
		w.t.Fatal(err)
	}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) must(t *testing.T, status int, contains ...string) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %.600s", a.status, status, a.body)
	}
	for _, s := range contains {
		if !strings.Contains(a.body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	return a
}

func (a answer) mustNot(t *testing.T, absent ...string) answer {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(a.body, s) {
			t.Errorf("the page shows %q", s)
		}
	}
	return a
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (w *world) do(method, path string, form url.Values) answer {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.srv.URL+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (w *world) get(path string) answer { return w.do("GET", path, nil) }
