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

// Apply makes a portal applicant of the tenant's program, pending; the
// merchant's users are mailed (application received). When the program
// approves automatically, the applicant is mailed a link that confirms the
// address (valid ConfirmLife) and becomes active only by it (SPEC section
// 14): until then nobody can log in with it, and nothing the applicant
// typed goes to that address. An email already in the program creates
// nothing and gets a mail instead (member applied, or a new confirmation
// link when never confirmed); the caller must answer both alike (no way to
// probe who is a member), so Apply returns the same nil error for both.
// Mails to an address past its cap are left out. A taken wished code →
// conflict; bad input → invalid.
func (s Service) Apply(ctx context.Context, t tracklane.Tenant, in Application) error {
	a, err := affiliateFromInput(AffiliateInput{Name: in.Name, Email: in.Email, Code: in.Code})
	if err != nil {
		return err
	}
	if err := password.Check(in.Password, password.Owner{Email: a.Email, Name: a.Name}); err != nil {
		return err
	}
	if a.PayoutEmail, err = PayoutEmail(in.PayoutEmail); err != nil {
		return err
	}
	hash, err := HashPassword(in.Password, s.BcryptCost)
	if err != nil {
		return err
	}
	a.ID, a.TenantID, a.Status = ident.New("af_"), t.ID, tracklane.AffiliatePending
	a.EmailUnconfirmed = t.AffiliateApproval == tracklane.ApprovalAuto
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
// to the merchant's users (received), the link that confirms a's address
// when a must confirm it, and the one a gets instead when the email is
// already in the program.
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
	if a.EmailUnconfirmed {
		// The mail carries nothing of the applicant's (their name could be
		// a line of phishing sent to someone else's address).
		secret := ident.Secret()
		now := s.now()
		app.Confirm = &tracklane.OneUseToken{Hash: HashToken(secret), Purpose: tracklane.PurposeConfirmEmail, TenantID: t.ID,
			CreatedAt: now, ExpiresAt: now.Add(ConfirmLife)}
		if app.ConfirmMail, err = tenantMail(t.ID, mail.KindConfirmEmail, a.Email, "Confirm your email for "+t.Name+"'s affiliate program",
			mail.ConfirmEmailData{Program: t.Name, Link: s.PortalURL(t) + "/confirm/" + secret, Valid: "24 hours"}); err != nil {
			return app, err
		}
	}
	return app, nil
}

// approvedMail tells a that t's program let them in, with where to log in.
func (s Service) approvedMail(t tracklane.Tenant, a tracklane.Affiliate) (mail.Message, error) {
	return tenantMail(t.ID, mail.KindApplicationApproved, a.Email, "You are in: "+t.Name+"'s affiliate program",
		mail.ApplicationApprovedData{Program: t.Name, Name: a.Name, Link: s.PortalURL(t) + "/login"})
}
