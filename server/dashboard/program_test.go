package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestAffiliatesPageApplicantsAndStatusButtons(t *testing.T) {
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID := b.signup("Door Shop", "owner@door.example")
	ctx := context.Background()
	tt, _ := app.Store.Tenant(ctx, tenantID)
	if err := app.Accounts.Apply(ctx, tt, account.Application{Name: "Wanna Be", Email: "wanna@example.com", Password: "a good long password", Code: "wanna"}); err != nil {
		t.Fatal(err)
	}
	active := app.NewAffiliate(t, tenantID, "already-in")
	applicant, _ := app.Store.AffiliateByCode(ctx, tenantID, "wanna")

	// Every page's navigation says an applicant waits.
	b.get("/").must(t, http.StatusOK, `class="nav-badge" title="1 applicant waits for your decision">1<`)
	list := b.get("/affiliates?status=pending")
	list.must(t, http.StatusOK, "Wanna Be", "Applicants (1)", "applicant")
	if strings.Contains(list.body, active.Name) {
		t.Fatal("the applicants' list shows an active affiliate")
	}
	b.get("/affiliates?status=sleepy").must(t, http.StatusBadRequest)

	b.get("/affiliates/"+applicant.ID).must(t, http.StatusOK, "Approve", "Reject", "Invite to the portal")
	a := b.post("/affiliates/"+applicant.ID+"/approve", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", a.status, short(a.body))
	}
	if got, _ := app.Store.Affiliate(ctx, tenantID, applicant.ID); got.Status != tracklane.AffiliateActive {
		t.Fatalf("approved applicant is %s", got.Status)
	}
	if page := b.get("/"); strings.Contains(page.body, "nav-badge") {
		t.Error("the navigation still shows an applicant after the approval")
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE kind = 'application_approved' AND recipient = 'wanna@example.com'`); n != 1 {
		t.Fatalf("%d approval mails", n)
	}
	b.get("/affiliates/"+applicant.ID).must(t, http.StatusOK, "Suspend")
	// A change that makes no sense is refused with the reason.
	b.post("/affiliates/"+applicant.ID+"/reject", nil).must(t, http.StatusConflict, "use suspend")
	b.post("/affiliates/"+applicant.ID+"/suspend", url.Values{"csrf": {"forged"}}).must(t, http.StatusForbidden)
	b.get("/affiliates/" + applicant.ID)
	b.post("/affiliates/"+applicant.ID+"/suspend", nil)
	if got, _ := app.Store.Affiliate(ctx, tenantID, applicant.ID); got.Status != tracklane.AffiliateSuspended {
		t.Fatalf("suspended affiliate is %s", got.Status)
	}

	// Another tenant's affiliate is not found.
	other := app.NewTenant(t, "Other Door")
	theirs := app.NewAffiliate(t, other.ID, "theirs")
	b.get("/affiliates")
	b.post("/affiliates/"+theirs.ID+"/suspend", nil).must(t, http.StatusNotFound)
	if got, _ := app.Store.Affiliate(ctx, other.ID, theirs.ID); got.Status != tracklane.AffiliateActive {
		t.Fatal("another tenant's affiliate was changed")
	}
}

func TestInviteShowsTheLinkWithoutMailAndPayoutEmailIsChecked(t *testing.T) {
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID := b.signup("Invite Door", "owner@invite.example")
	aff := app.NewAffiliate(t, tenantID, "invitee")
	b.get("/affiliates/" + aff.ID)
	a := b.post("/affiliates/"+aff.ID+"/invite", nil)
	if loc := a.header.Get("Location"); a.status != http.StatusSeeOther || loc != "/affiliates/"+aff.ID+"#portal" {
		t.Fatalf("invite: %d → %q; want a redirect to the affiliate's page", a.status, loc)
	}
	b.follow(a).must(t, http.StatusOK, "Mail is not configured", "/p/invite-door/invite/")
	// A reload of the page shows the page, sends nothing, and the link was shown once.
	if again := b.get("/affiliates/" + aff.ID); strings.Contains(again.body, "/p/invite-door/invite/") {
		t.Error("the invitation link is shown again")
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = $1`, aff.Email); n != 1 {
		t.Fatalf("%d invitation mails", n)
	}

	// The payout email asks for the merchant's password (blank → 400,
	// wrong → 401), refuses what is no address or would run as a formula,
	// and tells the affiliate's former address (here: none, so the login
	// email) of a change.
	for _, c := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{url.Values{"payout_email": {"pay@example.com"}}, http.StatusBadRequest, "Type your password"},
		{url.Values{"payout_email": {"pay@example.com"}, "current_password": {"not the password"}}, http.StatusUnauthorized, "current password is wrong"},
		{url.Values{"payout_email": {"not an email"}, "current_password": {"correct horse battery"}}, http.StatusBadRequest, "Payout email: "},
		{url.Values{"payout_email": {"=HYPERLINK(1)@example.com"}, "current_password": {"correct horse battery"}}, http.StatusBadRequest, "formula"},
	} {
		b.get("/affiliates/" + aff.ID)
		b.post("/affiliates/"+aff.ID+"/payout-email", c.form).must(t, c.status, c.says)
		if got, _ := app.Store.Affiliate(context.Background(), tenantID, aff.ID); got.PayoutEmail != "" {
			t.Fatalf("%v: a payout email was stored: %q", c.form, got.PayoutEmail)
		}
	}
	b.get("/affiliates/"+aff.ID).must(t, http.StatusOK, `name="current_password"`)
	if a := b.post("/affiliates/"+aff.ID+"/payout-email", url.Values{"payout_email": {" Pay@Example.com "}, "current_password": {"correct horse battery"}}); a.status != http.StatusSeeOther {
		t.Fatalf("payout email: %d %s", a.status, short(a.body))
	}
	if got, _ := app.Store.Affiliate(context.Background(), tenantID, aff.ID); got.PayoutEmail != "pay@example.com" {
		t.Fatalf("payout email %q", got.PayoutEmail)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE kind = 'payout_email_changed' AND recipient = $1`, aff.Email); n != 1 {
		t.Fatalf("%d mails to the affiliate about the new payout email", n)
	}
}

// Invitations count toward the cap on mails to one address (SPEC section
// 14, CLARIFICATIONS 2026-12-07): the merchant's fourth invitation within
// the hour is made (the earlier ones die) but not mailed, and the page
// says so and shows the link to copy.
func TestInvitationsPastTheCapAreShownNotMailed(t *testing.T) {
	app := apptest.New(t, map[string]string{"SMTP_URL": "smtp://127.0.0.1:1"})
	b := newBrowser(t, app)
	tenantID := b.signup("Cap Door", "owner@cap.example")
	aff := app.NewAffiliate(t, tenantID, "capped")
	for range 3 {
		b.get("/affiliates/" + aff.ID)
		b.follow(b.post("/affiliates/"+aff.ID+"/invite", nil)).must(t, http.StatusOK, "Invitation mailed to "+aff.Email)
	}
	b.get("/affiliates/" + aff.ID)
	a := b.follow(b.post("/affiliates/"+aff.ID+"/invite", nil))
	a.must(t, http.StatusOK, "not mailed", `id="invite-link"`, "/p/cap-door/invite/")
	if n := app.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = $1`, aff.Email); n != 3 {
		t.Fatalf("%d invitation mails, want 3", n)
	}
	if n := app.QueryInt(t, `SELECT count(*) FROM one_use_tokens WHERE affiliate_id = $1 AND used_at IS NULL`, aff.ID); n != 1 {
		t.Fatalf("%d live invitations, want the last one only", n)
	}
}

// An applicant of an auto-approving program who has not confirmed their
// address is marked as such on their page.
func TestUnconfirmedApplicantIsMarked(t *testing.T) {
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	tenantID := b.signup("Auto Door", "owner@auto.example")
	ctx := context.Background()
	auto := string(tracklane.ApprovalAuto)
	tt, err := app.Accounts.UpdateSettings(ctx, tenantID, account.SettingsInput{AffiliateApproval: &auto})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Accounts.Apply(ctx, tt, account.Application{Name: "Who", Email: "who@example.com", Password: "a good long password", Code: "who"}); err != nil {
		t.Fatal(err)
	}
	applicant, _ := app.Store.AffiliateByCode(ctx, tenantID, "who")
	b.get("/affiliates/"+applicant.ID).must(t, http.StatusOK, "Email not confirmed", "Approve")
	b.get("/affiliates/"+app.NewAffiliate(t, tenantID, "known").ID).must(t, http.StatusOK)
	if strings.Contains(b.get("/affiliates/"+app.NewAffiliate(t, tenantID, "known2").ID).body, "Email not confirmed") {
		t.Error("an affiliate made by the merchant is marked unconfirmed")
	}
}

func TestProgramSettingsEditSlugAndApproval(t *testing.T) {
	app := apptest.New(t, nil)
	app.NewTenant(t, "Taken Slug")
	b := newBrowser(t, app)
	tenantID := b.signup("Settings Door", "owner@settings.example")
	b.get("/settings").must(t, http.StatusOK, "Affiliate program", app.URL+"/p/settings-door")
	b.post("/settings/program", url.Values{"slug": {"taken-slug"}, "affiliate_approval": {"auto"}}).
		must(t, http.StatusConflict, "taken")
	b.post("/settings/program", url.Values{"slug": {"x"}, "affiliate_approval": {"auto"}}).must(t, http.StatusBadRequest)
	if a := b.post("/settings/program", url.Values{"slug": {"door-partners"}, "affiliate_approval": {"auto"}}); a.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", a.status, short(a.body))
	}
	tt, _ := app.Store.Tenant(context.Background(), tenantID)
	if tt.Slug != "door-partners" || tt.AffiliateApproval != tracklane.ApprovalAuto {
		t.Fatalf("tenant %q %q", tt.Slug, tt.AffiliateApproval)
	}
	b.get("/settings").must(t, http.StatusOK, app.URL+"/p/door-partners")
	newBrowser(t, app).get("/p/door-partners/join").must(t, http.StatusOK)
}

func TestMerchantForgotAndReset(t *testing.T) {
	app := apptest.New(t, nil)
	b := newBrowser(t, app)
	b.signup("Forgetful Shop", "owner@forgetful.example")
	anon := newBrowser(t, app)
	anon.get("/login").must(t, http.StatusOK, `href="/forgot"`)
	anon.get("/forgot").must(t, http.StatusOK, "Forgot your password")
	start := time.Now()
	known := anon.post("/forgot", url.Values{"email": {"Owner@Forgetful.example"}})
	knownTook := time.Since(start)
	anon.get("/forgot")
	start = time.Now()
	unknown := anon.post("/forgot", url.Values{"email": {"nobody@forgetful.example"}})
	if unknownTook := time.Since(start); knownTook < account.ResetPace || unknownTook < account.ResetPace {
		t.Errorf("answers took %v (owner) and %v (stranger), want both at least %v", knownTook, unknownTook, account.ResetPace)
	}
	known.must(t, http.StatusOK, "Check your email")
	if known.body != unknown.body {
		t.Fatal("the forgot answers differ")
	}
	var link string
	if err := app.Store.DB().QueryRow(`SELECT link FROM mail_outbox WHERE kind = 'password_reset' AND recipient = 'owner@forgetful.example'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	anon.get(u.Path).must(t, http.StatusOK, "Choose a new password")
	anon.post(u.Path, url.Values{"password": {"123456789"}}).must(t, http.StatusBadRequest)
	anon.post(u.Path, url.Values{"password": {"owner@forgetful.example"}}).must(t, http.StatusBadRequest, "your own email or name")
	anon.post(u.Path, url.Values{"password": {"Forgetful Shop"}}).must(t, http.StatusBadRequest, "your own email or name")
	if a := anon.post(u.Path, url.Values{"password": {"a fresh merchant secret"}}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?ok=password-set" {
		t.Fatalf("reset: %d %q", a.status, a.header.Get("Location"))
	}
	anon.post(u.Path, url.Values{"password": {"another merchant secret"}}).must(t, http.StatusGone, "no longer works")
	// The old session ended with the reset.
	if a := b.get("/"); a.status != http.StatusSeeOther {
		t.Fatalf("the session outlived the password reset: %d", a.status)
	}
	in := newBrowser(t, app)
	in.get("/login")
	if a := in.post("/login", url.Values{"email": {"owner@forgetful.example"}, "password": {"a fresh merchant secret"}}); a.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", a.status)
	}
	for i := 0; i < 3; i++ {
		anon.get("/forgot")
		anon.post("/forgot", url.Values{"email": {"owner@forgetful.example"}})
	}
	anon.get("/forgot")
	anon.post("/forgot", url.Values{"email": {"owner@forgetful.example"}}).must(t, http.StatusTooManyRequests, "Too many")
}
