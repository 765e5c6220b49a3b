package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestJoinManualApprovalMakesAPendingApplicantAndMailsTheMerchant(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Manual Shop", tracklane.ApprovalManual)
	v := newVisitor(t, app)
	v.get("/p/" + p.Slug + "/join")
	a := v.post("/p/"+p.Slug+"/join", url.Values{"name": {"Ann <b>Bold</b>"}, "email": {"Ann@Example.com"},
		"password": {goodPassword}, "code": {"ann-wish"}, "payout_email": {"pay@example.com"}})
	a.must(t, http.StatusOK, "Thank you for applying", "The merchant reviews it")

	aff, err := app.Store.AffiliateByCode(context.Background(), p.ID, "ann-wish")
	if err != nil {
		t.Fatal(err)
	}
	if aff.Status != tracklane.AffiliatePending || aff.Email != "ann@example.com" || aff.PayoutEmail != "pay@example.com" {
		t.Fatalf("applicant %+v", aff)
	}
	got := mailsOf(t, app, "application_received")
	if len(got) != 1 || got[0].To != p.Email {
		t.Fatalf("merchant mails %+v", got)
	}
	// Every stored field is escaped in the HTML body.
	if strings.Contains(got[0].HTML, "<b>Bold</b>") || !strings.Contains(got[0].HTML, "&lt;b&gt;Bold&lt;/b&gt;") {
		t.Fatalf("HTML body does not escape the name:\n%s", got[0].HTML)
	}
	if len(mailsOf(t, app, "application_approved")) != 0 {
		t.Fatal("a pending applicant was told they are approved")
	}

	// A pending applicant cannot log in (a clear message, no session)…
	v.login(p.Slug, "ann@example.com", goodPassword).must(t, http.StatusForbidden, "waiting for the merchant")
	if v.cookie("/p/"+p.Slug, "tl_portal") != "" {
		t.Fatal("a pending applicant got a session")
	}
	// … and earns no click: the click endpoint answers as for an unknown
	// code, the link redirects without a cid.
	status, body := app.Do(t, "POST", "/tracking/click/v1", map[string]string{
		"tenantId": p.ID, "aff": "ann-wish", "url": "https://shop.example/?aff=ann-wish"})
	_, unknownBody := app.Do(t, "POST", "/tracking/click/v1", map[string]string{
		"tenantId": p.ID, "aff": "nobody-here", "url": "https://shop.example/?aff=nobody-here"})
	if status != http.StatusNotFound || strings.ReplaceAll(string(body), "ann-wish", "X") != strings.ReplaceAll(string(unknownBody), "nobody-here", "X") {
		t.Fatalf("click of a pending affiliate: %d %s (unknown: %s)", status, body, unknownBody)
	}
	status, _ = app.Do(t, "GET", "/r/ann-wish", nil)
	if status != http.StatusFound {
		t.Fatalf("redirect: %d", status)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM clicks WHERE affiliate_id = $1`, aff.ID); n != 0 {
		t.Fatalf("%d clicks recorded for a pending affiliate", n)
	}
}

func TestRedirectOfANonActiveAffiliateCarriesNoCid(t *testing.T) {
	app := apptest.New(t, nil)
	tn := app.NewTenant(t, "Redirects")
	aff := app.NewAffiliate(t, tn.ID, "susp-aff")
	if aff.Status != tracklane.AffiliateActive {
		t.Fatalf("a merchant-made affiliate is %q, want active", aff.Status)
	}
	if _, err := app.Accounts.SetAffiliateStatus(context.Background(), tn.ID, aff.ID, "suspend"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", app.URL+"/r/susp-aff?utm_source=x", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) test")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://shop.example/") || strings.Contains(loc, "cid=") || !strings.Contains(loc, "utm_source=x") {
		t.Fatalf("redirect %d to %q", resp.StatusCode, loc)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM clicks WHERE affiliate_id = $1`, aff.ID); n != 0 {
		t.Fatalf("%d clicks of a suspended affiliate", n)
	}
}

// With approval auto, a join makes an account that stays pending and
// cannot log in until the link mailed to the address is used (SPEC
// section 14); nothing the applicant typed is mailed to that address.
// Opening the link changes nothing; its button confirms, activates and
// signs in, once.
func TestJoinAutoApprovalActivatesOnceTheEmailIsConfirmed(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Auto Shop", tracklane.ApprovalAuto)
	v := newVisitor(t, app)
	v.apply(p.Slug, "Bo <Call 555-0100 now>", "bo@example.com", goodPassword).must(t, http.StatusOK, "Thank you for applying", "Check your email")
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE tenant_id = $1 AND email = 'bo@example.com' AND status = 'pending' AND email_unconfirmed`, p.ID); n != 1 {
		t.Fatalf("%d pending unconfirmed applicants", n)
	}
	confirm := mailsOf(t, app, "confirm_email")
	if len(confirm) != 1 || len(mailsOf(t, app, "application_received")) != 1 || len(mailsOf(t, app, "application_approved")) != 0 {
		t.Fatalf("mails %+v", outbox(t, app))
	}
	if m := confirm[0]; m.To != "bo@example.com" || strings.Contains(m.Subject+m.Text+m.HTML, "555-0100") ||
		!strings.HasPrefix(m.Link, app.URL+"/p/"+p.Slug+"/confirm/") {
		t.Fatalf("the confirmation mail carries the applicant's words or no link: %+v", m)
	}
	v.login(p.Slug, "bo@example.com", goodPassword).must(t, http.StatusForbidden, "Confirm your email first")
	if v.cookie("/p/"+p.Slug, "tl_portal") != "" {
		t.Fatal("an unconfirmed applicant got a session")
	}

	link := pathOf(t, confirm[0].Link)
	for range 2 { // a mail scanner opening the link changes nothing
		v.get(link).must(t, http.StatusOK, "Confirm your email", `action="`+link+`"`)
	}
	// Another program's portal does not take it.
	q := newProgram(t, app, "Other Auto Shop", tracklane.ApprovalAuto)
	other := newVisitor(t, app)
	other.get("/p/" + q.Slug + "/login")
	other.post("/p/"+q.Slug+"/confirm/"+link[strings.LastIndex(link, "/")+1:], nil).must(t, http.StatusGone)

	a := v.post(link, nil)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/p/"+p.Slug {
		t.Fatalf("confirm: %d %q %s", a.status, a.header.Get("Location"), short(a.body))
	}
	v.get("/p/"+p.Slug).must(t, http.StatusOK, "Bo")
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE tenant_id = $1 AND email = 'bo@example.com' AND status = 'active' AND NOT email_unconfirmed`, p.ID); n != 1 {
		t.Fatal("the confirmed applicant is not active")
	}
	newVisitor(t, app).get(link).must(t, http.StatusGone)
	if a := newVisitor(t, app).login(p.Slug, "bo@example.com", goodPassword); a.status != http.StatusSeeOther {
		t.Fatalf("log-in after confirming: %d", a.status)
	}
}

// A join again with an address never confirmed mails a new link (the
// earlier one dies) instead of the member mail; a confirmation after the
// program turned to manual approval confirms the address and leaves the
// applicant to the merchant.
func TestJoinAgainMailsANewConfirmationLink(t *testing.T) {
	app := apptest.New(t, nil)
	ctx := context.Background()
	p := newProgram(t, app, "Again Shop", tracklane.ApprovalAuto)
	newVisitor(t, app).apply(p.Slug, "Cy", "cy@example.com", goodPassword).must(t, http.StatusOK)
	newVisitor(t, app).apply(p.Slug, "Cy", "cy@example.com", "another fine password").must(t, http.StatusOK)
	confirm := mailsOf(t, app, "confirm_email")
	if len(confirm) != 2 || len(mailsOf(t, app, "member_applied")) != 0 || confirm[0].Link == confirm[1].Link {
		t.Fatalf("mails %+v", outbox(t, app))
	}
	v := newVisitor(t, app)
	v.get(pathOf(t, confirm[0].Link)).must(t, http.StatusGone)
	manual := string(tracklane.ApprovalManual)
	if _, err := app.Accounts.UpdateSettings(ctx, p.ID, account.SettingsInput{AffiliateApproval: &manual}); err != nil {
		t.Fatal(err)
	}
	v.get(pathOf(t, confirm[1].Link)).must(t, http.StatusOK)
	v.post(pathOf(t, confirm[1].Link), nil).must(t, http.StatusOK, "Your email is confirmed", "The merchant reviews")
	if v.cookie("/p/"+p.Slug, "tl_portal") != "" {
		t.Fatal("an applicant waiting for the merchant got a session")
	}
	v.login(p.Slug, "cy@example.com", goodPassword).must(t, http.StatusForbidden, "waiting for the merchant")
	// Confirmed, it is a member like any other: a join mails the member mail.
	newVisitor(t, app).apply(p.Slug, "Cy", "cy@example.com", goodPassword).must(t, http.StatusOK)
	if n := len(mailsOf(t, app, "member_applied")); n != 1 {
		t.Fatalf("%d member mails after the confirmed applicant joined again", n)
	}
}

func TestJoinAnswersAMemberExactlyAsANewcomer(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Probe Shop", tracklane.ApprovalManual)
	app.NewAffiliate(t, p.ID, "member-1") // email member-1@partners.example

	newcomer := newVisitor(t, app).apply(p.Slug, "New", "new@example.com", goodPassword)
	member := newVisitor(t, app).apply(p.Slug, "Impostor", "member-1@partners.example", goodPassword)
	newcomer.must(t, http.StatusOK)
	if member.status != newcomer.status || member.body != newcomer.body {
		t.Fatalf("the answers differ:\n%d %s\n---\n%d %s", newcomer.status, newcomer.body, member.status, member.body)
	}
	// A taken wished code is refused alike for a member and a newcomer.
	taken := url.Values{"name": {"X"}, "password": {goodPassword}, "code": {"member-1"}}
	v := newVisitor(t, app)
	v.get("/p/" + p.Slug + "/join")
	taken.Set("email", "member-1@partners.example")
	asMember := v.post("/p/"+p.Slug+"/join", taken)
	taken.Set("email", "stranger@example.com")
	asStranger := v.post("/p/"+p.Slug+"/join", taken)
	asMember.must(t, http.StatusConflict, "is taken")
	asStranger.must(t, http.StatusConflict, "is taken")
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE tenant_id = $1 AND email = 'member-1@partners.example'`, p.ID); n != 1 {
		t.Fatalf("%d affiliates with the member's email", n)
	}
	got := mailsOf(t, app, "member_applied")
	if len(got) != 1 || got[0].To != "member-1@partners.example" {
		t.Fatalf("member mails %+v", got)
	}
	if n := len(mailsOf(t, app, "application_received")); n != 1 {
		t.Fatalf("%d merchant mails, want 1 (the newcomer's only)", n)
	}
}

func TestJoinRefusesBadInputAndChangesNothing(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Strict Shop", tracklane.ApprovalManual)
	app.NewAffiliate(t, p.ID, "taken-code")
	v := newVisitor(t, app)
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"short"}}, "at least 10 characters"},
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"password123"}}, "too common"},
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"aaaaaaaaaa"}}, "a repeated character"},
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {"Password1234"}}, "a common word with digits"},
		{url.Values{"name": {"Alexandra Quill"}, "email": {"alexandra.quill@example.com"}, "password": {"alexandra.quill@example.com"}},
			"your own email or name"},
		{url.Values{"name": {"Alexandra Quill"}, "email": {"aq@example.com"}, "password": {"Alexandra Quill"}}, "your own email or name"},
		{url.Values{"name": {"A"}, "email": {"not an email"}, "password": {goodPassword}}, "not an email"},
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {goodPassword}, "payout_email": {"paypal me"}}, "Payout email: "},
		{url.Values{"name": {"A"}, "email": {"a@example.com"}, "password": {goodPassword}, "code": {"taken-code"}}, "is taken"},
	} {
		v.get("/p/" + p.Slug + "/join")
		a := v.post("/p/"+p.Slug+"/join", c.form)
		if a.status < 400 || a.status > 499 || !strings.Contains(a.body, c.want) {
			t.Fatalf("%v: %d, want 4xx with %q:\n%s", c.form, a.status, c.want, short(a.body))
		}
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE tenant_id = $1`, p.ID); n != 1 {
		t.Fatalf("%d affiliates after refused applications", n)
	}
	if n := len(outbox(t, app)); n != 0 {
		t.Fatalf("%d mails after refused applications", n)
	}
}

func TestJoinIsThrottledPerNetwork(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Busy Shop", tracklane.ApprovalManual)
	v := newVisitor(t, app)
	v.get("/p/" + p.Slug + "/join")
	for i := 0; i < 10; i++ { // refused applications count too
		v.post("/p/"+p.Slug+"/join", url.Values{"name": {"X"}, "email": {"x@example.com"}, "password": {"short"}}).must(t, http.StatusBadRequest)
	}
	for i := 0; i < 2; i++ {
		a := v.post("/p/"+p.Slug+"/join", url.Values{"name": {"X"}, "email": {"x@example.com"}, "password": {goodPassword}})
		a.must(t, http.StatusTooManyRequests, "Too many applications")
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM affiliates WHERE tenant_id = $1`, p.ID); n != 0 {
		t.Fatalf("%d affiliates made while throttled", n)
	}
}

func TestUnknownProgramIsANotFoundPage(t *testing.T) {
	app := apptest.New(t, nil)
	v := newVisitor(t, app)
	v.get("/p/no-such-program/login").must(t, http.StatusNotFound, "No such program")
	v.get("/p/no-such-program").must(t, http.StatusNotFound, "No such program")
}

func TestProgramAddressIsCaseFoldedToItsCanonicalPath(t *testing.T) {
	app := apptest.New(t, nil)
	p := newProgram(t, app, "Case Shop", tracklane.ApprovalManual)
	a := newVisitor(t, app).get("/p/Case-SHOP/login")
	if a.status != http.StatusMovedPermanently || a.header.Get("Location") != "/p/"+p.Slug+"/login" {
		t.Fatalf("%d %q", a.status, a.header.Get("Location"))
	}
}

// TestRenamedProgramKeepsItsOldLinks: invitations (and every other link)
// name /p/<slug>/…; after the merchant renames the program, the old slug
// still finds it: a GET is sent to the current address, where the link
// works. A live slug wins over another program's old one.
func TestRenamedProgramKeepsItsOldLinks(t *testing.T) {
	app := apptest.New(t, nil)
	ctx := context.Background()
	p := newProgram(t, app, "Rename Shop", tracklane.ApprovalManual)
	aff := app.NewAffiliate(t, p.ID, "renamed-1")
	inv, err := app.Accounts.InviteAffiliate(ctx, p.ID, aff.ID)
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link
	renamed := "rename-shop-partners"
	if _, err := app.Accounts.UpdateSettings(ctx, p.ID, account.SettingsInput{Slug: &renamed}); err != nil {
		t.Fatal(err)
	}
	v := newVisitor(t, app)
	old := pathOf(t, link)
	a := v.get(old)
	want := "/p/" + renamed + strings.TrimPrefix(old, "/p/"+p.Slug)
	if a.status != http.StatusMovedPermanently || a.header.Get("Location") != want {
		t.Fatalf("the old invitation link: %d → %q, want 301 → %q", a.status, a.header.Get("Location"), want)
	}
	v.get(want).must(t, http.StatusOK)
	if a := v.post(want, url.Values{"password": {goodPassword}}); a.status != http.StatusSeeOther {
		t.Fatalf("accepting the invitation at the new address: %d %s", a.status, short(a.body))
	}
	v.get("/p/"+renamed).must(t, http.StatusOK, aff.Name)

	// Another program may not take the old slug for 90 days (the links
	// naming it would reach them); then it may, and it is theirs.
	q := newProgram(t, app, "Other Shop", tracklane.ApprovalManual)
	if _, err := app.Accounts.UpdateSettings(ctx, q.ID, account.SettingsInput{Slug: &p.Slug}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("another program took a slug given up a moment ago: %v", err)
	}
	newVisitor(t, app).get("/p/"+p.Slug+"/join").must(t, http.StatusMovedPermanently)
	if _, err := app.Store.DB().Exec(`UPDATE tenant_slug_aliases SET created_at = now() - interval '91 days'`); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Accounts.UpdateSettings(ctx, q.ID, account.SettingsInput{Slug: &p.Slug}); err != nil {
		t.Fatal(err)
	}
	newVisitor(t, app).get("/p/"+p.Slug+"/join").must(t, http.StatusOK, "Other Shop")
}
