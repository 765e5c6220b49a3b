package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// trustShop is a tenant (owner's password "correct horse battery") with
// one affiliate whose portal password is "affiliate password 1".
func trustShop(t *testing.T) (account.Service, *store.Store, tracklane.Tenant, tracklane.Affiliate) {
	t.Helper()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4, PublicURL: "https://t.example"}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Trust <Shop>", Email: "owner@trust.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAffiliate(ctx, ten.Tenant.ID, account.AffiliateInput{Name: "Ann", Email: "ann@partners.example", Code: "ann-trust"})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := account.HashPassword("affiliate password 1", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAffiliatePassword(ctx, ten.Tenant.ID, a.ID, hash, nil); err != nil {
		t.Fatal(err)
	}
	return svc, st, ten.Tenant, a
}

type outMail struct{ kind, to, text string }

func mails(t *testing.T, st *store.Store, kind string) []outMail {
	t.Helper()
	rows, err := st.DB().Query(`SELECT kind, recipient, text_body FROM mail_outbox WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outMail
	for rows.Next() {
		var m outMail
		if err := rows.Scan(&m.kind, &m.to, &m.text); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// PayoutEmail: blank is none; anything else is a folded address without a
// formula's first character or a control character.
func TestPayoutEmailRule(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "   ": "", " Jane.Pay@PayPal.Example ": "jane.pay@paypal.example",
		"=cmd|'/Ccalc'!A0@x.example": "", "+1@x.example": "", "-x@x.example": "", "@x.example": "", "ja\tne@x.example": "", "not an email": "",
	} {
		got, err := account.PayoutEmail(in)
		refused := strings.TrimSpace(in) != "" && want == ""
		if got != want || refused != (err != nil) || (err != nil && !apperr.Is(err, apperr.Invalid)) {
			t.Errorf("%q: %q %v, want %q (refused %v)", in, got, err, want, refused)
		}
		if err != nil && !strings.HasPrefix(apperr.MessageOf(err), "payout email: ") {
			t.Errorf("%q: message %q", in, apperr.MessageOf(err))
		}
	}
}

// The affiliate's own change needs their password (checked before the
// address: a wrong one is unauthorized whatever was typed), may not clear
// the address, and mails the address payouts went to before (the login
// email when there was none), saying where they go now.
func TestSetOwnPayoutEmailNeedsThePasswordAndMailsTheFormerAddress(t *testing.T) {
	t.Parallel()
	svc, st, ten, a := trustShop(t)
	ctx := context.Background()
	for _, pw := range []string{"", "wrong password"} {
		for _, email := range []string{"new@pay.example", "=1@x.example"} {
			if _, err := svc.SetOwnPayoutEmail(ctx, ten.ID, a.ID, pw, email); !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("password %q, email %q: %v, want unauthorized", pw, email, err)
			}
		}
	}
	if _, err := svc.SetOwnPayoutEmail(ctx, ten.ID, a.ID, "affiliate password 1", " "); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("clearing it: %v", err)
	}
	if _, err := svc.SetOwnPayoutEmail(ctx, ten.ID, a.ID, "affiliate password 1", "first@pay.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetOwnPayoutEmail(ctx, ten.ID, a.ID, "affiliate password 1", "second@pay.example"); err != nil {
		t.Fatal(err)
	}
	got := mails(t, st, "payout_email_changed")
	if len(got) != 2 || got[0].to != "ann@partners.example" || got[1].to != "first@pay.example" ||
		!strings.Contains(got[1].text, "second@pay.example") || !strings.Contains(got[1].text, "changed by you from first@pay.example") {
		t.Fatalf("mails %+v", got)
	}
}

// The merchant's change needs the merchant's own password and may clear
// the address; the affiliate's former address is told who changed it.
func TestSetPayoutEmailNeedsTheMerchantsPassword(t *testing.T) {
	t.Parallel()
	svc, st, ten, a := trustShop(t)
	ctx := context.Background()
	u, err := st.UserByEmail(ctx, "owner@trust.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPayoutEmail(ctx, ten.ID, u.ID, "affiliate password 1", a.ID, "x@pay.example"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("the affiliate's password on the merchant's form: %v", err)
	}
	if _, err := svc.SetPayoutEmail(ctx, "tn_other", u.ID, "correct horse battery", a.ID, "x@pay.example"); err == nil {
		t.Fatal("another tenant's user changed the payout email")
	}
	if _, err := svc.SetPayoutEmail(ctx, ten.ID, u.ID, "correct horse battery", a.ID, "@x.example"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a formula address: %v", err)
	}
	if _, err := svc.SetPayoutEmail(ctx, ten.ID, u.ID, "correct horse battery", a.ID, "x@pay.example"); err != nil {
		t.Fatal(err)
	}
	got, err := svc.SetPayoutEmail(ctx, ten.ID, u.ID, "correct horse battery", a.ID, "")
	if err != nil || got.PayoutEmail != "" {
		t.Fatalf("cleared: %+v %v", got, err)
	}
	m := mails(t, st, "payout_email_changed")
	if len(m) != 2 || m[1].to != "x@pay.example" || !strings.Contains(m[1].text, "removed by the merchant") {
		t.Fatalf("mails %+v", m)
	}
}

// A password change retires the affiliate's links and keeps only the
// session that made it; a wrong current password is unauthorized.
func TestChangeAffiliatePasswordRetiresLinks(t *testing.T) {
	t.Parallel()
	svc, _, ten, a := trustShop(t)
	ctx := context.Background()
	if err := svc.RequestAffiliateReset(ctx, ten, a.Email); err != nil {
		t.Fatal(err)
	}
	inv, err := svc.InviteAffiliate(ctx, ten.ID, a.ID)
	if err != nil || !inv.Mailed {
		t.Fatalf("invitation %+v %v", inv, err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, ten.ID, a.ID, "affiliate password 1", "affiliate password 2", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckLink(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], tracklane.PurposeInvite); err != store.ErrLinkGone {
		t.Fatalf("the invitation survived the password change: %v", err)
	}
}

// With approval auto an applicant is pending and unconfirmed, cannot log
// in, and is mailed only the confirmation link (nothing of theirs in it);
// the link activates them.
func TestApplyWithAutoApprovalWaitsForTheMailedLink(t *testing.T) {
	t.Parallel()
	svc, st, ten, _ := trustShop(t)
	ctx := context.Background()
	auto := string(tracklane.ApprovalAuto)
	ten, err := svc.UpdateSettings(ctx, ten.ID, account.SettingsInput{AffiliateApproval: &auto})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Apply(ctx, ten, account.Application{Name: "Call +1 555 0100 now", Email: "bo@inbox.example", Password: "a long applicant password", Code: "bo-trust"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.AffiliateByCode(ctx, ten.ID, "bo-trust")
	if err != nil || a.Status != tracklane.AffiliatePending || !a.EmailUnconfirmed {
		t.Fatalf("applicant %+v %v", a, err)
	}
	if _, err := svc.AffiliateLogin(ctx, ten.ID, "bo@inbox.example", "a long applicant password"); !apperr.Is(err, apperr.Forbidden) ||
		!strings.Contains(apperr.MessageOf(err), "confirm your email") {
		t.Fatalf("log-in before confirming: %v", err)
	}
	confirm := mails(t, st, "confirm_email")
	if len(confirm) != 1 || confirm[0].to != "bo@inbox.example" || strings.Contains(confirm[0].text, "555") || len(mails(t, st, "application_approved")) != 0 {
		t.Fatalf("mails %+v", confirm)
	}
	var link string
	if err := st.DB().QueryRow(`SELECT link FROM mail_outbox WHERE kind = 'confirm_email'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	got, err := svc.ConfirmEmail(ctx, ten, link[strings.LastIndex(link, "/")+1:])
	if err != nil || got.Status != tracklane.AffiliateActive || got.EmailUnconfirmed {
		t.Fatalf("confirmed: %+v %v", got, err)
	}
	if _, err := svc.AffiliateLogin(ctx, ten.ID, "bo@inbox.example", "a long applicant password"); err != nil {
		t.Fatalf("log-in after confirming: %v", err)
	}
	if _, err := svc.ConfirmEmail(ctx, ten, "not a link"); err != store.ErrLinkGone {
		t.Fatalf("a malformed link: %v", err)
	}
}

// An invitation past the recipient's cap is made, not mailed, and says so.
func TestInviteAffiliatePastTheCap(t *testing.T) {
	t.Parallel()
	svc, _, ten, a := trustShop(t)
	ctx := context.Background()
	for i := range 4 {
		inv, err := svc.InviteAffiliate(ctx, ten.ID, a.ID)
		if err != nil || inv.Link == "" || inv.Mailed != (i < 3) {
			t.Fatalf("invitation %d: %+v %v", i+1, inv, err)
		}
	}
}
