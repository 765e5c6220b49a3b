package account

import (
	"context"
	"errors"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
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
	if err := password.Check(in.Password); err != nil {
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
	app := store.Application{PasswordHash: hash,
		MemberMail: memberAppliedMail.message(t.ID, a.Email, mailData{Program: t.Name, Email: a.Email, Link: s.PortalURL(t) + "/login"})}
	for _, u := range users {
		app.Mails = append(app.Mails, applicationReceivedMail.message(t.ID, u, mailData{
			Program: t.Name, Name: a.Name, Email: a.Email, Link: s.PublicURL + "/affiliates/" + a.ID,
		}))
	}
	if a.Status == tracklane.AffiliateActive { // approved at once: say so, with where to log in
		app.Mails = append(app.Mails, applicationApprovedMail.message(t.ID, a.Email, mailData{
			Program: t.Name, Name: a.Name, Email: a.Email, Link: s.PortalURL(t) + "/login",
		}))
	}
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
