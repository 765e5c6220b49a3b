package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

func TestChangeAffiliatePassword(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4, PublicURL: "https://t.example"}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Pw Shop", Email: "o@pw.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Apply(ctx, ten.Tenant, account.Application{Name: "A", Email: "a@pw.example", Password: "first long password", Code: "pw-a"}); err != nil {
		t.Fatal(err)
	}
	a, _ := st.AffiliateByCode(ctx, ten.Tenant.ID, "pw-a")
	if _, err := svc.SetAffiliateStatus(ctx, ten.Tenant.ID, a.ID, account.Approve); err != nil {
		t.Fatal(err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, ten.Tenant.ID, a.ID, "wrong current one", "second long password", nil); !apperr.Is(err, apperr.Unauthorized) ||
		!strings.Contains(apperr.MessageOf(err), "current password is wrong") {
		t.Fatalf("wrong current: %v", err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, ten.Tenant.ID, a.ID, "first long password", "short", nil); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("short new: %v", err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, ten.Tenant.ID, a.ID, "first long password", "A@PW.EXAMPLE!!", nil); !apperr.Is(err, apperr.Invalid) ||
		!strings.Contains(apperr.MessageOf(err), "your own email or name") {
		t.Fatalf("their own email: %v", err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, "tn_other", a.ID, "first long password", "second long password", nil); err == nil {
		t.Fatal("another tenant changed the password")
	}
	if _, err := svc.AffiliateLogin(ctx, ten.Tenant.ID, "a@pw.example", "first long password"); err != nil {
		t.Fatalf("refused changes changed the password: %v", err)
	}
	if err := svc.ChangeAffiliatePassword(ctx, ten.Tenant.ID, a.ID, "first long password", "second long password", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AffiliateLogin(ctx, ten.Tenant.ID, "a@pw.example", "second long password"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if _, err := svc.AffiliateLogin(ctx, ten.Tenant.ID, "a@pw.example", "first long password"); !apperr.Is(err, apperr.Unauthorized) {
		t.Fatalf("login with the old password: %v", err)
	}
}

// A reset link is for one hour; the mails escape every stored field.
func TestResetLinkLifetimeAndMailEscaping(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	svc := account.Service{Store: st, BcryptCost: 4, PublicURL: "https://t.example", Now: func() time.Time { return now }}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: `Evil <img src=x onerror=alert(1)> & Co`, Email: "o@evil.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RequestUserReset(ctx, "O@Evil.example"); err != nil {
		t.Fatal(err)
	}
	var subject, html, text, link string
	if err := st.DB().QueryRow(`SELECT subject, html_body, text_body, link FROM mail_outbox WHERE kind = 'password_reset'`).Scan(&subject, &html, &text, &link); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<img") || !strings.Contains(html, "&lt;img") || !strings.Contains(text, link) || strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("mail:\n%s\n%s\n%s", subject, html, text)
	}
	// It names the account (the program and the email) and links in both bodies.
	if !strings.Contains(text, "o@evil.example at Tracklane (Evil <img") || !strings.Contains(html, `href="`+link+`"`) ||
		!strings.Contains(text, "1 hour") || !strings.HasPrefix(subject, "Set a new password for Tracklane (Evil") {
		t.Fatalf("mail:\n%s\n%s\n%s", subject, html, text)
	}
	secret := link[strings.LastIndex(link, "/")+1:]
	if _, err := svc.CheckLink(ctx, secret, tracklane.PurposeUserReset); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	if _, err := svc.CheckLink(ctx, secret, tracklane.PurposeAffiliateReset); err != store.ErrLinkGone {
		t.Fatalf("link of another purpose: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := svc.UseLink(ctx, secret, tracklane.PurposeUserReset, "a new long password"); err != store.ErrLinkGone {
		t.Fatalf("link after an hour: %v", err)
	}
	_ = ten
}

func TestStatusTransitionTable(t *testing.T) {
	t.Parallel()
	const (
		act = tracklane.AffiliateActive
		pen = tracklane.AffiliatePending
		rej = tracklane.AffiliateRejected
		sus = tracklane.AffiliateSuspended
	)
	for _, c := range []struct {
		action account.StatusAction
		from   tracklane.AffiliateStatus
		to     tracklane.AffiliateStatus // "" → refused
	}{
		{account.Approve, pen, act}, {account.Approve, rej, act}, {account.Approve, act, act}, {account.Approve, sus, ""},
		{account.Reject, pen, rej}, {account.Reject, rej, rej}, {account.Reject, act, ""}, {account.Reject, sus, ""},
		{account.Suspend, act, sus}, {account.Suspend, sus, sus}, {account.Suspend, pen, ""}, {account.Suspend, rej, ""},
		{account.Activate, pen, act}, {account.Activate, rej, act}, {account.Activate, sus, act}, {account.Activate, act, act},
	} {
		to, err := account.StatusTransition(c.action, c.from)
		if (c.to == "") != (err != nil) || to != c.to {
			t.Errorf("%s from %s: %q %v, want %q", c.action, c.from, to, err, c.to)
		}
	}
}

// Names are stored without control characters: a name with line breaks,
// an escape sequence or a right-to-left override reaches neither the
// table nor the mails it is written into (SPEC §14).
func TestNamesAreStoredWithoutControlCharacters(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	svc := account.Service{Store: st, BcryptCost: 4, PublicURL: "https://t.example"}
	ten, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "Ctl\u0007 Shop\r\n", Email: "o@ctl.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if ten.Tenant.Name != "Ctl Shop" {
		t.Errorf("tenant name %q", ten.Tenant.Name)
	}
	evil := "Eve\r\nBcc: all@evil.example\x1b[31m\u202egnp.exe\u0085\tTab"
	if err := svc.Apply(ctx, ten.Tenant, account.Application{Name: evil, Email: "eve@ctl.example", Password: "first long password", Code: "ctl-eve"}); err != nil {
		t.Fatal(err)
	}
	a, err := st.AffiliateByCode(ctx, ten.Tenant.ID, "ctl-eve")
	if err != nil {
		t.Fatal(err)
	}
	const want = "Eve Bcc: all@evil.example[31mgnp.exe Tab"
	if a.Name != want {
		t.Errorf("stored name %q, want %q", a.Name, want)
	}
	var subject, text, html string
	if err := st.DB().QueryRowContext(ctx, `SELECT subject, text_body, html_body FROM mail_outbox WHERE tenant_id = $1 AND recipient = 'o@ctl.example'`,
		ten.Tenant.ID).Scan(&subject, &text, &html); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{subject, text, html} {
		if strings.ContainsAny(part, "\x1b\u202e\u0085\u0007") || strings.Contains(part, "Eve\r\n") || strings.Contains(part, "Eve\n") {
			t.Errorf("a control character of a name reached the mail: %q", part)
		}
	}
	if !strings.Contains(text, want) {
		t.Errorf("the application mail does not name the applicant %q:\n%s", want, text)
	}
	u, err := svc.UpdateAffiliate(ctx, ten.Tenant.ID, a.ID, account.AffiliateInput{Name: "Eve\u2066 Again\x7f", Email: a.Email, Code: a.Code})
	if err != nil || u.Name != "Eve Again" {
		t.Errorf("renamed: %q %v", u.Name, err)
	}
}
