package account

import (
	"context"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/password"
)

// errWrongCurrentPassword is the answer of a form that asks a signed-in
// person for their password again and got a wrong one: unauthorized, as a
// wrong log-in is, so the edge's throttle counts it as a failed attempt
// (signin.Recheck).
var errWrongCurrentPassword = apperr.Errorf(apperr.Unauthorized, "the current password is wrong")

// checkCurrentPassword compares pw with the account's hash ("" matches
// nothing, after the same bcrypt work): errWrongCurrentPassword unless it
// matches. Forms that ask for the password again call it before anything
// else, so any other answer means the password was right.
func checkCurrentPassword(hash, pw string) error {
	if !passwordMatches(hash, pw) {
		return errWrongCurrentPassword
	}
	return nil
}

// ChangeAffiliatePassword sets a new portal password for one of the
// tenant's affiliates after checking the current one (wrong →
// unauthorized, nothing changes); the new one obeys the password rule.
// The affiliate's live one-use links are retired and its sessions end but
// keepSession (the id hash of the session that made the change).
func (s Service) ChangeAffiliatePassword(ctx context.Context, tenantID, affiliateID, current, next string, keepSession []byte) error {
	hash, err := s.Store.AffiliatePasswordHash(ctx, tenantID, affiliateID)
	if err != nil {
		return err
	}
	if err := checkCurrentPassword(hash, current); err != nil {
		return err
	}
	a, err := s.Store.Affiliate(ctx, tenantID, affiliateID)
	if err != nil {
		return err
	}
	if err := password.Check(next, password.Owner{Email: a.Email, Name: a.Name}); err != nil {
		return err
	}
	newHash, err := HashPassword(next, s.BcryptCost)
	if err != nil {
		return err
	}
	return s.Store.SetAffiliatePassword(ctx, tenantID, affiliateID, newHash, keepSession)
}
