package account

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/password"
)

// ChangeAffiliatePassword sets a new portal password for one of the
// tenant's affiliates after checking the current one; the new one obeys
// the password rule. A wrong current password → invalid, nothing changes.
func (s Service) ChangeAffiliatePassword(ctx context.Context, tenantID, affiliateID, current, next string) error {
	hash, err := s.Store.AffiliatePasswordHash(ctx, tenantID, affiliateID)
	if err != nil {
		return err
	}
	if hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(current)) != nil {
		return apperr.Errorf(apperr.Invalid, "the current password is wrong")
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
	return s.Store.SetAffiliatePassword(ctx, tenantID, affiliateID, newHash)
}
