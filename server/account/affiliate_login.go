package account

import (
	"context"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// errWrongLogin is AffiliateLogin's answer to an unknown email or a wrong
// password: the same for both.
var errWrongLogin = apperr.Errorf(apperr.Unauthorized, "wrong email or password")

// dummyHash is compared against when the email is unknown, so that an
// unknown email takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)
	return h
})

// AffiliateLogin checks an affiliate's email and password in the tenant's
// program. A wrong pair → unauthorized; the right password of an affiliate
// who is not active → forbidden, with a message that says where they
// stand (only after the password matched: nobody learns a status without
// it).
func (s Service) AffiliateLogin(ctx context.Context, tenantID, email, pw string) (tracklane.Affiliate, error) {
	e, err := NormalizeEmail(email)
	var a tracklane.Affiliate
	hash := ""
	if err == nil {
		a, hash, err = s.Store.AffiliateLogin(ctx, tenantID, e)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return tracklane.Affiliate{}, err
		}
	}
	cmp := dummyHash()
	if err == nil && hash != "" {
		cmp = []byte(hash)
	}
	if bcrypt.CompareHashAndPassword(cmp, []byte(pw)) != nil || err != nil || hash == "" {
		return tracklane.Affiliate{}, errWrongLogin
	}
	switch a.Status {
	case tracklane.AffiliateActive:
		return a, nil
	case tracklane.AffiliatePending:
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your application is waiting for the merchant's approval; you can log in once it is approved")
	case tracklane.AffiliateRejected:
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your application to this program was not accepted")
	default:
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your account in this program is suspended; contact the merchant")
	}
}
