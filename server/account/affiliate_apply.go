package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/password"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Application is what the portal's /join form asks for.
type Application struct {
	Name, Email, Password string
	Code                  string // optional: the code they wish for
	PayoutEmail           string // optional
}

// Apply makes a portal applicant of the tenant's program: pending, or
// active when the program approves automatically; the merchant's users are
// mailed (application received). An email already in the program creates
// nothing and gets a mail instead (member applied); the caller must answer
// both alike (no way to probe who is a member), so Apply returns the same
// nil error for both. A taken wished code → conflict; bad input → invalid.
func (s Service) Apply(ctx context.Context, t tracklane.Tenant, in Application) error {
	a, err := affiliateFromInput(AffiliateInput{Name: in.Name, Email: in.Email, Code: in.Code})
	if err != nil {
		return err
	}
	if err := password.Check(in.Password, password.Owner{Email: a.Email, Name: a.Name}); err != nil {
		return err
	}
	if a.PayoutEmail, err = OptionalEmail(in.PayoutEmail, "payout email"); err != nil {
		return err
	}
	hash, err := HashPassword(in.Password, s.BcryptCost)
	if err != nil {
		return err
	}
	a.ID, a.TenantID, a.Status = ident.New("af_"), t.ID, tracklane.AffiliatePending
	if t.AffiliateApproval == tracklane.ApprovalAuto {
		a.Status = tracklane.AffiliateActive
	}
	users, err := s.Store.TenantUserEmails(ctx, t.ID)
	if err != nil {
		return err
	}
	app, err := s.applicationMails(t, a, users)
	if err != nil {
		return fmt.Errorf("applying to %s: %w", t.ID, err)
	}
	app.PasswordHash = hash
	generated := a.Code == ""
	for i := 0; ; i++ { // a generated code may collide (very rarely): draw again
		if generated {
			a.Code = ident.Code(8)
		}
		app.Affiliate = a
		_, err = s.Store.ApplyAffiliate(ctx, app)
		if errors.Is(err, store.ErrMember) {
			return nil
		}
		if err == nil || !generated || !apperr.Is(err, apperr.Conflict) || i == 4 {
			return err
		}
	}
}

// applicationMails are the mails of an application of a to t's program:
// to the merchant's users (received), to a when approved at once, and the
// one a gets instead when the email is already in the program.
func (s Service) applicationMails(t tracklane.Tenant, a tracklane.Affiliate, users []string) (tracklane.Application, error) {
	var app tracklane.Application
	var err error
	if app.MemberMail, err = tenantMail(t.ID, mail.KindMemberApplied, a.Email, "Your application to "+t.Name+"'s affiliate program",
		mail.MemberAppliedData{Program: t.Name, Link: s.PortalURL(t) + "/login"}); err != nil {
		return app, err
	}
	for _, u := range users {
		m, err := tenantMail(t.ID, mail.KindApplicationReceived, u, "New affiliate application: "+a.Name,
			mail.ApplicationReceivedData{Program: t.Name, Name: a.Name, Email: a.Email, Link: s.PublicURL + "/affiliates/" + a.ID})
		if err != nil {
			return app, err
		}
		app.Mails = append(app.Mails, m)
	}
	if a.Status == tracklane.AffiliateActive { // approved at once: say so, with where to log in
		m, err := s.approvedMail(t, a)
		if err != nil {
			return app, err
		}
		app.Mails = append(app.Mails, m)
	}
	return app, nil
}

// approvedMail tells a that t's program let them in, with where to log in.
func (s Service) approvedMail(t tracklane.Tenant, a tracklane.Affiliate) (mail.Message, error) {
	return tenantMail(t.ID, mail.KindApplicationApproved, a.Email, "You are in: "+t.Name+"'s affiliate program",
		mail.ApplicationApprovedData{Program: t.Name, Name: a.Name, Link: s.PortalURL(t) + "/login"})
}

// OptionalEmail checks an optional email ("" stays "").
func OptionalEmail(s, field string) (string, error) {
	if tracklane.FoldEmail(s) == "" {
		return "", nil
	}
	e, err := NormalizeEmail(s)
	if err != nil {
		return "", apperr.Errorf(apperr.Invalid, "%s: %s", field, apperr.MessageOf(err))
	}
	return e, nil
}
