package conversions_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/conversions"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// shop is a tenant with two affiliates, a click of each an hour old, and
// the coupon SAVE10 of the first; the service under test runs at a fixed
// now.
type shop struct {
	st             *store.Store
	svc            conversions.Service
	tenant         tracklane.Tenant
	ann, bob       tracklane.Affiliate
	annCID, bobCID string
	notified       *notifier
	log            *bytes.Buffer
	now            time.Time
}

func newShop(t *testing.T) *shop {
	t.Helper()
	st, _ := storetest.New(t)
	return newShopOn(t, st, "shop")
}

// newShopOn makes the shop name on st (another tenant beside a shop).
func newShopOn(t *testing.T, st *store.Store, name string) *shop {
	t.Helper()
	ctx := context.Background()
	accounts := account.Service{Store: st, BcryptCost: 4}
	r, err := accounts.CreateTenant(ctx, account.NewTenantInput{
		Name: name, Email: "owner@" + name + ".example", Password: "correct horse battery", Website: "https://" + name + ".example",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{st: st, tenant: r.Tenant, notified: &notifier{}, log: &bytes.Buffer{}, now: time.Now().UTC().Truncate(time.Second)}
	s.svc = conversions.Service{Store: st, Notifier: s.notified, Log: slog.New(slog.NewTextHandler(s.log, nil)),
		Now: func() time.Time { return s.now }, IDKey: []byte("test conversion id key")}
	affiliate := func(who string) (tracklane.Affiliate, string) {
		a, err := accounts.CreateAffiliate(ctx, s.tenant.ID, account.AffiliateInput{
			Name: who, Email: who + "@partners.example", Code: name + "-" + who, // codes are unique across tenants
		})
		if err != nil {
			t.Fatal(err)
		}
		cid := ident.ClickID()
		if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: s.tenant.ID, AffiliateID: a.ID, CreatedAt: s.now.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		return a, cid
	}
	s.ann, s.annCID = affiliate("ann")
	s.bob, s.bobCID = affiliate("bob")
	if _, err := accounts.SetCoupons(ctx, s.tenant.ID, s.ann.ID, []string{"SAVE10"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// notifier records the email links it hears of.
type notifier struct {
	mu     sync.Mutex
	linked []string
}

func (n *notifier) Linked(_ context.Context, tenantID, externalCID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.linked = append(n.linked, tenantID+" "+externalCID)
}

// report sends a browser's sale of 10.00 with the fields set by edit.
func (s *shop) report(t *testing.T, edit func(*conversions.ReportInput)) (conversions.ReportResult, error) {
	t.Helper()
	in := conversions.ReportInput{Tenant: s.tenant, Type: "sale", Amount: func(string) (int64, error) { return 1000, nil }}
	if edit != nil {
		edit(&in)
	}
	return s.svc.Report(context.Background(), in)
}

func (s *shop) conversion(t *testing.T, id string) tracklane.Conversion {
	t.Helper()
	c, err := s.st.Conversion(context.Background(), s.tenant.ID, id)
	if err != nil {
		t.Fatalf("conversion %s: %v", id, err)
	}
	return c
}

func (s *shop) count(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.st.DB().QueryRow(`SELECT count(*) FROM conversions WHERE tenant_id = $1`, s.tenant.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A report is attributed by the request's click, else the customer's
// email link, else a coupon, in that order; with none of them nothing is
// stored. (The merchant's server's reports: a browser's is attributed only
// by what it holds, TestReportFromABrowserIsAttributedByWhatItHolds.)
func TestReportAttribution(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	if _, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.bobCID, Email: "linked@customer.example", Trusted: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		edit            func(*conversions.ReportInput)
		source          tracklane.Source
		affiliate, clik string
	}{
		{"the click", func(in *conversions.ReportInput) {
			in.CID, in.ExternalCID, in.CouponCodes = s.annCID, "linked@customer.example", []string{"save10"}
		}, tracklane.SourceClickID, s.ann.ID, s.annCID},
		{"the email link", func(in *conversions.ReportInput) {
			in.ExternalCID, in.CouponCodes, in.Trusted = "linked@customer.example", []string{"save10"}, true
		}, tracklane.SourceEmail, s.bob.ID, s.bobCID},
		{"a coupon", func(in *conversions.ReportInput) {
			in.ExternalCID, in.CouponCodes, in.Trusted = "stranger@customer.example", []string{"nope", "save10"}, true
		}, tracklane.SourceCoupon, s.ann.ID, ""},
	} {
		res, err := s.report(t, tc.edit)
		if err != nil || res.ConversionID == "" || !res.Created {
			t.Fatalf("%s: %+v %v", tc.name, res, err)
		}
		c := s.conversion(t, res.ConversionID)
		if c.Source != tc.source || c.AffiliateID != tc.affiliate || c.ClickID != tc.clik || c.GrossAmount != 1000 || c.Currency != "usd" {
			t.Errorf("%s: source %s affiliate %s click %q gross %d %s, want %s %s %q 1000 usd",
				tc.name, c.Source, c.AffiliateID, c.ClickID, c.GrossAmount, c.Currency, tc.source, tc.affiliate, tc.clik)
		}
	}
	before := s.count(t)
	res, err := s.report(t, func(in *conversions.ReportInput) {
		in.CID, in.ExternalCID, in.CouponCodes, in.ExternalID, in.Trusted = ident.ClickID(), "stranger@customer.example", []string{"nope"}, "o-none", true
	})
	if err != nil || res != (conversions.ReportResult{}) {
		t.Errorf("nothing attributes it: %+v %v, want an empty result", res, err)
	}
	if n := s.count(t); n != before {
		t.Errorf("an unattributed report stored %d conversions", n-before)
	}
}

// A browser's report is attributed by its own click, by an email link the
// same browser made, and by a coupon of its own click's affiliate; not by
// another browser's link, the merchant's server's, or a coupon alone.
func TestReportFromABrowserIsAttributedByWhatItHolds(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	for email, visitor := range map[string][]byte{"mine@customer.example": []byte("me"), "theirs@customer.example": []byte("them"), "server@customer.example": nil} {
		if _, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.bobCID, Email: email,
			Visitor: visitor, Trusted: visitor == nil}); err != nil {
			t.Fatal(err)
		}
	}
	stale := ident.ClickID() // ann's, past the 30-day window
	if err := s.st.InsertClicks(ctx, []tracklane.Click{{ID: stale, TenantID: s.tenant.ID, AffiliateID: s.ann.ID, CreatedAt: s.now.AddDate(0, 0, -40)}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		edit      func(*conversions.ReportInput)
		affiliate string
		source    tracklane.Source
	}{
		{"its own click", func(in *conversions.ReportInput) { in.CID = s.bobCID }, s.bob.ID, tracklane.SourceClickID},
		{"a link it made", func(in *conversions.ReportInput) { in.ExternalCID = "mine@customer.example" }, s.bob.ID, tracklane.SourceEmail},
		{"another browser's link", func(in *conversions.ReportInput) { in.ExternalCID = "theirs@customer.example" }, "", ""},
		{"the server's link", func(in *conversions.ReportInput) { in.ExternalCID = "server@customer.example" }, "", ""},
		{"a coupon alone", func(in *conversions.ReportInput) { in.CouponCodes = []string{"save10"} }, "", ""},
		{"a coupon of its stale click's affiliate", func(in *conversions.ReportInput) { in.CID, in.CouponCodes = stale, []string{"save10"} },
			s.ann.ID, tracklane.SourceCoupon},
	} {
		before := s.count(t)
		res, err := s.report(t, func(in *conversions.ReportInput) { in.Visitor = []byte("me"); tc.edit(in) })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.affiliate == "" {
			if res.Created || s.count(t) != before {
				t.Errorf("%s: %+v, stored %d; want nothing stored", tc.name, res, s.count(t)-before)
			}
			continue
		}
		if !res.Created {
			t.Fatalf("%s: %+v, want a conversion", tc.name, res)
		}
		if c := s.conversion(t, res.ConversionID); c.AffiliateID != tc.affiliate || c.Source != tc.source {
			t.Errorf("%s: %s by %s, want %s by %s", tc.name, c.AffiliateID, c.Source, tc.affiliate, tc.source)
		}
	}
}

// A browser is told an id of the same form whether or not anything was
// stored; the same again for a repeat of a type and externalId, which is
// the stored conversion's id when one is stored; another for another
// externalId, type or tenant. The merchant's server is told the truth.
func TestReportAnswersABrowserOpaquely(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	form := regexp.MustCompile(`^cv_[a-z0-9]{16}$`)
	send := func(trusted bool, cid, typ, ext string) conversions.ReportResult {
		t.Helper()
		res, err := s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.CID, in.Type, in.ExternalID = trusted, cid, typ, ext })
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	stored, unstored := send(false, s.annCID, "sale", "o-1"), send(false, "", "sale", "o-2")
	if !stored.Created || unstored.Created || !form.MatchString(stored.ConversionID) || !form.MatchString(unstored.ConversionID) {
		t.Fatalf("answers %+v and %+v, want both ids like cv_…, the first stored", stored, unstored)
	}
	if s.conversion(t, stored.ConversionID).ExternalID != "o-1" {
		t.Errorf("the stored conversion is not the id the browser was told")
	}
	ids := map[string]bool{stored.ConversionID: true, unstored.ConversionID: true}
	for _, again := range []conversions.ReportResult{send(false, "", "sale", "o-1"), send(false, s.bobCID, "sale", "o-2")} {
		if !ids[again.ConversionID] {
			t.Errorf("a repeat answered %s, want one of %v", again.ConversionID, ids)
		}
	}
	// o-2 is now stored (bob's click), under the id its probe was told.
	if c := s.conversion(t, unstored.ConversionID); c.AffiliateID != s.bob.ID {
		t.Errorf("o-2 stored for %s, want bob", c.AffiliateID)
	}
	other := newShopOn(t, s.st, "other")
	otherRes, err := other.report(t, func(in *conversions.ReportInput) { in.ExternalID = "o-1" })
	for _, id := range []string{send(false, "", "lead", "o-1").ConversionID, send(false, "", "sale", "").ConversionID, send(false, "", "sale", "").ConversionID, otherRes.ConversionID} {
		if ids[id] || !form.MatchString(id) || err != nil {
			t.Errorf("another type, externalId or tenant answered %q (%v), want a new id like cv_…", id, err)
		}
		ids[id] = true
	}
	if res := send(true, "", "sale", "o-3"); res.ConversionID != "" {
		t.Errorf("the merchant's server, nothing attributed: %+v, want no id", res)
	}
	first := send(true, s.annCID, "sale", "o-4")
	if res := send(true, "", "sale", "o-4"); first.ConversionID == "" || res.ConversionID != first.ConversionID {
		t.Errorf("the merchant's server, a repeat: %+v, want %s", res, first.ConversionID)
	}
}

// Mallory's browser claims order o-1 with her click (ann's here); the
// merchant's server then reports it with bob's click, another amount and
// its status: it replaces the claim whole, in place, with a history line.
// A browser's report after it changes nothing, a trusted repeat neither.
func TestTrustedReportReplacesABrowsers(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	claim, err := s.report(t, func(in *conversions.ReportInput) { in.CID, in.ExternalID, in.CustomerID = s.annCID, "o-1", "mallory" })
	if err != nil || !claim.Created {
		t.Fatalf("claim: %+v %v", claim, err)
	}
	real, err := s.report(t, func(in *conversions.ReportInput) {
		in.Trusted, in.CID, in.ExternalID, in.Status, in.CustomerID = true, s.bobCID, "o-1", attribution.StatusApproved, "cus-1"
		in.Amount = func(string) (int64, error) { return 5000, nil }
	})
	if err != nil || !real.Replaced || real.Created || real.ConversionID != claim.ConversionID {
		t.Fatalf("trusted report: %+v %v, want %s replaced", real, err, claim.ConversionID)
	}
	c := s.conversion(t, real.ConversionID)
	if c.AffiliateID != s.bob.ID || c.ClickID != s.bobCID || c.GrossAmount != 5000 || c.Commission != 1000 || c.Status != conversion.Approved ||
		c.ManualStatus != conversion.ManualApproved || len(c.Flags) != 0 || c.CustomerID != "cus-1" {
		t.Errorf("replaced: %+v", c)
	}
	if len(c.History) != 2 || !strings.Contains(c.History[1].Reason, "the merchant's server's report replaced the browser's") ||
		c.History[1].Status != conversion.Approved || c.History[1].Commission != 1000 {
		t.Errorf("history %+v, want a second line for the replacement", c.History)
	}
	for _, tc := range []struct {
		name string
		edit func(*conversions.ReportInput)
	}{
		{"a browser after it", func(in *conversions.ReportInput) { in.CID, in.ExternalID = s.annCID, "o-1" }},
		{"a trusted repeat", func(in *conversions.ReportInput) { in.Trusted, in.CID, in.ExternalID = true, s.annCID, "o-1" }},
	} {
		res, err := s.report(t, tc.edit)
		if err != nil || res.Created || res.Replaced || res.ConversionID != claim.ConversionID {
			t.Errorf("%s: %+v %v", tc.name, res, err)
		}
		if again := s.conversion(t, claim.ConversionID); again.AffiliateID != s.bob.ID || len(again.History) != 2 || !again.UpdatedAt.Equal(c.UpdatedAt) {
			t.Errorf("%s changed the conversion: %+v", tc.name, again)
		}
	}
	if n := s.count(t); n != 1 {
		t.Errorf("%d conversions, want 1", n)
	}
}

// The merchant's server reports an order a browser claimed, and nothing
// attributes it: the claim is rejected. A later trusted report that is
// attributed replaces it still.
func TestTrustedReportWithNoAffiliateRejectsABrowsersClaim(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	claim, err := s.report(t, func(in *conversions.ReportInput) { in.CID, in.ExternalID = s.annCID, "o-2" })
	if err != nil || !claim.Created {
		t.Fatalf("claim: %+v %v", claim, err)
	}
	res, err := s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.ExternalID = true, "o-2" })
	if err != nil || res != (conversions.ReportResult{}) {
		t.Fatalf("trusted report with no affiliate: %+v %v, want no id", res, err)
	}
	c := s.conversion(t, claim.ConversionID)
	if c.Status != conversion.Rejected || len(c.History) != 2 || !strings.Contains(c.History[1].Reason, "the merchant's server reported this order with no affiliate") {
		t.Errorf("the claim after it: %s %+v", c.Status, c.History)
	}
	res, err = s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.ExternalID, in.CID = true, "o-2", s.bobCID })
	if err != nil || !res.Replaced {
		t.Fatalf("a later trusted report: %+v %v", res, err)
	}
	if c := s.conversion(t, res.ConversionID); c.AffiliateID != s.bob.ID || c.Status != conversion.Pending || c.ManualStatus != "" || len(c.Flags) != 0 {
		t.Errorf("after the later trusted report: %+v", c)
	}
}

// A browser's claim the merchant approved by hand and paid out is not
// rewritten under the payout: it is rejected (the affiliate owes the paid
// commission back) and the trusted report is stored beside it, answering
// for the order from then on.
func TestTrustedReportSupersedesABrowsersInAPayout(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	claim, err := s.report(t, func(in *conversions.ReportInput) { in.CID, in.ExternalID = s.annCID, "o-3" })
	if err != nil || !claim.Created {
		t.Fatalf("claim: %+v %v", claim, err)
	}
	if _, err := s.svc.Decide(ctx, s.tenant.ID, claim.ConversionID, conversions.Approve); err != nil {
		t.Fatal(err)
	}
	accounts := account.Service{Store: s.st}
	payouts, err := accounts.CreatePayouts(ctx, s.tenant.ID, s.ann.ID)
	if err != nil || len(payouts) != 1 || payouts[0].Amount != 200 {
		t.Fatalf("payouts %+v %v, want one of 200", payouts, err)
	}
	if _, err := accounts.MarkPayoutPaid(ctx, s.tenant.ID, payouts[0].ID, "ref-1"); err != nil {
		t.Fatal(err)
	}
	real, err := s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.CID, in.ExternalID = true, s.bobCID, "o-3" })
	if err != nil || !real.Replaced || real.ConversionID == claim.ConversionID {
		t.Fatalf("trusted report: %+v %v, want a new conversion replacing %s", real, err, claim.ConversionID)
	}
	old := s.conversion(t, claim.ConversionID)
	if old.Status != conversion.Rejected || old.AffiliateID != s.ann.ID ||
		!strings.Contains(old.History[len(old.History)-1].Reason, "replaced by the merchant's server's report "+real.ConversionID) {
		t.Errorf("the paid claim: %s %s %+v", old.Status, old.AffiliateID, old.History)
	}
	var owed int64
	if err := s.st.DB().QueryRow(`SELECT coalesce(sum(amount), 0) FROM payout_debts WHERE conversion_id = $1 AND affiliate_id = $2`,
		claim.ConversionID, s.ann.ID).Scan(&owed); err != nil || owed != -200 {
		t.Errorf("ann owes %d (%v), want -200", owed, err)
	}
	if c := s.conversion(t, real.ConversionID); c.AffiliateID != s.bob.ID || c.ExternalID != "o-3" || c.Status != conversion.Pending || len(c.Flags) != 0 {
		t.Errorf("the replacement: %+v", c)
	}
	for _, trusted := range []bool{false, true} {
		res, err := s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.CID, in.ExternalID = trusted, s.annCID, "o-3" })
		if err != nil || res.Created || res.Replaced || (trusted && res.ConversionID != real.ConversionID) {
			t.Errorf("a repeat (trusted %v): %+v %v, want the replacement unchanged", trusted, res, err)
		}
	}
	if n := s.count(t); n != 2 {
		t.Errorf("%d conversions, want 2", n)
	}
}

// A repeat of a type and externalId is the first one: its id, nothing
// new stored, whatever attributes it now. The same externalId of another type is another conversion.
func TestReportDeduplicatesByTypeAndExternalID(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	order := func(typ string) func(*conversions.ReportInput) {
		return func(in *conversions.ReportInput) { in.CID, in.Type, in.ExternalID = s.annCID, typ, "order-1" }
	}
	first, err := s.report(t, order("sale"))
	if err != nil || !first.Created {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := s.report(t, order("sale"))
	if err != nil || again.ConversionID != first.ConversionID || again.Created {
		t.Errorf("repeat: %+v %v, want %s not created", again, err, first.ConversionID)
	}
	// The repeat is the first one even when nothing would attribute it now.
	bare, err := s.report(t, func(in *conversions.ReportInput) { in.ExternalID = "order-1" })
	if err != nil || bare.ConversionID != first.ConversionID || bare.Created {
		t.Errorf("repeat without the click: %+v %v, want %s not created", bare, err, first.ConversionID)
	}
	lead, err := s.report(t, order("lead"))
	if err != nil || !lead.Created || lead.ConversionID == first.ConversionID {
		t.Errorf("the same externalId as a lead: %+v %v, want a new conversion", lead, err)
	}
	if n := s.count(t); n != 2 {
		t.Errorf("%d conversions, want 2", n)
	}
}

// A browser's report is pending and flagged whatever status it claims; a
// trusted one keeps its status as the merchant's decision.
func TestReportBrowserOrTrusted(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	for _, tc := range []struct {
		name    string
		trusted bool
		status  string
		want    conversion.Status
		manual  string
		flags   []string
	}{
		{"a browser claiming approval", false, attribution.StatusApproved, conversion.Pending, "", []string{tracklane.FlagBrowserReported}},
		{"trusted, approved", true, attribution.StatusApproved, conversion.Approved, conversion.ManualApproved, nil},
		{"trusted, rejected", true, attribution.StatusRejected, conversion.Rejected, conversion.ManualRejected, nil},
		{"trusted, no status", true, "", conversion.Pending, "", nil},
	} {
		res, err := s.report(t, func(in *conversions.ReportInput) { in.CID, in.Trusted, in.Status = s.annCID, tc.trusted, tc.status })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := s.conversion(t, res.ConversionID)
		if c.Status != tc.want || c.ManualStatus != tc.manual || !slices.Equal(c.Flags, tc.flags) || c.Commission != 200 {
			t.Errorf("%s: %s manual %q flags %v commission %d, want %s %q %v 200",
				tc.name, c.Status, c.ManualStatus, c.Flags, c.Commission, tc.want, tc.manual, tc.flags)
		}
	}
}

// The type must be one of the tenant's and the amount within its cap,
// read in the tenant's currency when the report names none; the cap counts
// minor units of the reported currency (1,000,000: $10,000.00, ¥1,000,000)
// and the refusal names it in that currency; a refusal stores nothing.
func TestReportRefusals(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	var asked []string
	amount := func(minor int64) func(string) (int64, error) {
		return func(cur string) (int64, error) { asked = append(asked, cur); return minor, nil }
	}
	for _, tc := range []struct {
		name, typ, currency string
		minor               int64
		message             string
	}{
		{"an unknown type", "refund", "", 100, "not one of this tenant's conversion types"},
		{"over the default cap", "sale", "", 1_000_001, "maximum for a reported conversion ($10,000.00)"},
		{"over the cap, in yen", "sale", "jpy", 1_000_001, "maximum for a reported conversion (¥1,000,000)"},
	} {
		_, err := s.report(t, func(in *conversions.ReportInput) {
			in.CID, in.Type, in.Currency, in.Amount = s.annCID, tc.typ, tc.currency, amount(tc.minor)
		})
		if apperr.CodeOf(err) != apperr.Unprocessable || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: %v, want unprocessable (%s)", tc.name, err, tc.message)
		}
	}
	if !slices.Equal(asked, []string{"usd", "jpy"}) {
		t.Errorf("amount read in %v, want [usd jpy] (the tenant's, then the reported; not at all for an unknown type)", asked)
	}
	if res, err := s.report(t, func(in *conversions.ReportInput) {
		in.CID, in.Currency, in.Amount = s.annCID, "jpy", amount(1_000_000)
	}); err != nil || !res.Created {
		t.Errorf("at the cap, in yen: %+v %v", res, err)
	}
	if n := s.count(t); n != 1 {
		t.Errorf("%d conversions, want 1 (refusals store nothing)", n)
	}
}

// A browser's email link is checked for fraud signals: an email moved to
// another affiliate's click is flagged (and logged), and a report the link
// attributes carries the flag. Every link is told to the notifier; a click
// of another tenant is not found and links nothing.
func TestLinkEmail(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	first, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.annCID, Email: "c@customer.example", Visitor: []byte("browser-1")})
	if err != nil || len(first.Flags) != 0 || first.AffiliateID != s.ann.ID {
		t.Fatalf("first link: %+v %v", first, err)
	}
	if strings.Contains(s.log.String(), "flagged") {
		t.Errorf("an unflagged link was logged: %s", s.log)
	}
	moved, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.bobCID, Email: "c@customer.example", Visitor: []byte("browser-2")})
	if err != nil || !slices.Equal(moved.Flags, []string{attribution.FlagLinkMoved}) {
		t.Fatalf("moved link: %+v %v, want flagged %s", moved, err, attribution.FlagLinkMoved)
	}
	if !strings.Contains(s.log.String(), "email link flagged") {
		t.Errorf("the flagged link was not logged: %q", s.log)
	}
	trusted, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.annCID, Email: "d@customer.example", Trusted: true})
	if err != nil || len(trusted.Flags) != 0 {
		t.Errorf("trusted link: %+v %v, want no flags", trusted, err)
	}
	res, err := s.report(t, func(in *conversions.ReportInput) { in.ExternalCID, in.Trusted = "c@customer.example", true })
	if err != nil {
		t.Fatal(err)
	}
	if c := s.conversion(t, res.ConversionID); c.AffiliateID != s.bob.ID || !slices.Equal(c.Flags, []string{attribution.FlagLinkMoved}) || c.Status != conversion.Pending {
		t.Errorf("attributed by the moved link: affiliate %s flags %v %s, want %s [%s] pending", c.AffiliateID, c.Flags, c.Status, s.bob.ID, attribution.FlagLinkMoved)
	}

	other := newShopOn(t, s.st, "other")
	if _, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: other.annCID, Email: "e@customer.example", Trusted: true}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another tenant's click: %v, want not found", err)
	}
	want := []string{s.tenant.ID + " c@customer.example", s.tenant.ID + " c@customer.example", s.tenant.ID + " d@customer.example"}
	if !slices.Equal(s.notified.linked, want) {
		t.Errorf("notified %v, want %v", s.notified.linked, want)
	}
}

// A browser's link is counted with the others from its network, whatever
// the browser: the fourth email linked from one network in a day is
// flagged. A trusted link keeps no network hash and raises nothing.
func TestLinkEmailGroupsByNetwork(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	network := []byte("network-1")
	for i, cid := range []string{s.annCID, s.bobCID, s.annCID, s.bobCID} {
		l, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: cid,
			Email: fmt.Sprintf("n%d@customer.example", i), Visitor: []byte(fmt.Sprintf("browser-%d", i)), Network: network})
		var want []string
		if i == 3 {
			want = []string{attribution.FlagNetworkManyEmails}
		}
		if err != nil || !slices.Equal(l.Flags, want) {
			t.Errorf("link %d from one network: %+v %v, want flags %v", i+1, l, err, want)
		}
	}
	l, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.annCID,
		Email: "server@customer.example", Trusted: true, Visitor: []byte("browser-9"), Network: network})
	if err != nil || len(l.Flags) != 0 {
		t.Errorf("trusted link: %+v %v, want no flags", l, err)
	}
	var hashed int
	if err := s.st.DB().QueryRowContext(ctx, `SELECT count(*) FROM customer_links WHERE external_cid = 'server@customer.example'
		AND (network_hash IS NOT NULL OR visitor_hash IS NOT NULL)`).Scan(&hashed); err != nil || hashed != 0 {
		t.Errorf("a trusted link kept %d hashes (%v)", hashed, err)
	}
}

// The merchant approves a browser's report (the hold period never would),
// rejects it, takes the decision back; an unknown decision is invalid and
// another tenant's conversion not found.
func TestDecide(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	res, err := s.report(t, func(in *conversions.ReportInput) { in.CID = s.annCID })
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    conversions.Decision
		want conversion.Status
	}{
		{conversions.Approve, conversion.Approved},
		{conversions.Reject, conversion.Rejected},
		{conversions.Undo, conversion.Pending},
	} {
		c, err := s.svc.Decide(ctx, s.tenant.ID, res.ConversionID, tc.d)
		if err != nil || c.Status != tc.want || c.ManualStatus != string(tc.d) {
			t.Errorf("%q: %s manual %q %v, want %s", tc.d, c.Status, c.ManualStatus, err, tc.want)
		}
	}
	if _, err := s.svc.Decide(ctx, s.tenant.ID, res.ConversionID, "maybe"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("an unknown decision: %v, want invalid", err)
	}
	other := newShopOn(t, s.st, "other")
	if _, err := other.svc.Decide(ctx, other.tenant.ID, res.ConversionID, conversions.Approve); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another tenant's conversion: %v, want not found", err)
	}
	if c := s.conversion(t, res.ConversionID); c.Status != conversion.Pending {
		t.Errorf("after another tenant's try: %s, want pending", c.Status)
	}
}

// A report's revenueOriginId wins over the email link's origin; without
// one, the conversion takes the link's.
func TestReportRevenueOrigin(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	ctx := context.Background()
	accounts := account.Service{Store: s.st}
	app, err := accounts.CreateRevenueOrigin(ctx, s.tenant.ID, "App")
	if err != nil {
		t.Fatal(err)
	}
	web, err := accounts.CreateRevenueOrigin(ctx, s.tenant.ID, "Web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.LinkEmail(ctx, conversions.LinkInput{TenantID: s.tenant.ID, CID: s.annCID, Email: "c@customer.example", OriginID: app.ID, Trusted: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ reported, want string }{{"", app.ID}, {web.ID, web.ID}} {
		res, err := s.report(t, func(in *conversions.ReportInput) {
			in.ExternalCID, in.OriginID, in.Trusted = "c@customer.example", tc.reported, true
		})
		if err != nil {
			t.Fatal(err)
		}
		if c := s.conversion(t, res.ConversionID); c.RevenueOriginID != tc.want {
			t.Errorf("revenueOriginId %q: origin %s, want %s", tc.reported, c.RevenueOriginID, tc.want)
		}
	}
}

// Browsers and the merchant's server report the same new orders at the
// same moment, whatever the order of their statements: each order ends as
// one conversion, the merchant's server's.
func TestTrustedReportWinsARaceWithBrowsers(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	for round := 0; round < 5; round++ {
		ext := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		for i := 0; i < 7; i++ {
			wg.Add(1)
			go func(trusted bool) {
				defer wg.Done()
				cid := s.annCID
				if trusted {
					cid = s.bobCID
				}
				if _, err := s.report(t, func(in *conversions.ReportInput) { in.Trusted, in.CID, in.ExternalID = trusted, cid, ext }); err != nil {
					t.Errorf("%s (trusted %v): %v", ext, trusted, err)
				}
			}(i == round)
		}
		wg.Wait()
		e, err := s.st.ReportedByExternalID(context.Background(), s.tenant.ID, "sale", ext)
		if err != nil {
			t.Fatal(err)
		}
		if c := s.conversion(t, e.ID); c.AffiliateID != s.bob.ID || len(c.Flags) != 0 {
			t.Errorf("%s: %s flags %v, want the merchant's server's report (bob, no flags)", ext, c.AffiliateID, c.Flags)
		}
	}
	if n := s.count(t); n != 5 {
		t.Errorf("%d conversions, want 5", n)
	}
}
