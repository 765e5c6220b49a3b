package account

import (
	"context"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
)

// errWrongLogin is the log-ins' answer to an unknown email or a wrong
// password: the same for both.
var errWrongLogin = apperr.Errorf(apperr.Unauthorized, "wrong email or password")

// dummyHash is compared against when the email is unknown, so that an
// unknown email takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)
	return h
})

// passwordMatches reports whether pw is the password of hash. An account
// without a hash ("": the email is unknown, or no password was ever set)
// matches nothing, but pw is still compared with dummyHash, so that the
// answer takes as long as for a known email.
func passwordMatches(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// loginEmail is the email a log-in looks up, and whether it is one: a
// string that cannot be an email finds no account, like an unknown one
// (its password is compared with the dummy hash all the same).
func loginEmail(email string) (string, bool) {
	e, err := NormalizeEmail(email)
	return e, err == nil
}

// MerchantLogin checks a dashboard user's email and password. An unknown
// email and a wrong password are the same answer (unauthorized), after the
// same bcrypt work.
func (s Service) MerchantLogin(ctx context.Context, email, pw string) (tracklane.User, error) {
	var u tracklane.User
	e, ok := loginEmail(email)
	if ok {
		var err error
		u, err = s.Store.UserByEmail(ctx, e)
		if apperr.Is(err, apperr.NotFound) {
			u = tracklane.User{}
		} else if err != nil {
			return tracklane.User{}, err
		}
	}
	if !passwordMatches(u.PasswordHash, pw) {
		return tracklane.User{}, errWrongLogin
	}
	return u, nil
}

// AffiliateLogin checks an affiliate's email and password in the tenant's
// program. A wrong pair → unauthorized; the right password of an affiliate
// who is not active → forbidden, with a message that says where they
// stand (only after the password matched: nobody learns a status without
// it).
func (s Service) AffiliateLogin(ctx context.Context, tenantID, email, pw string) (tracklane.Affiliate, error) {
	var a tracklane.Affiliate
	hash := ""
	if e, ok := loginEmail(email); ok {
		var err error
		a, hash, err = s.Store.AffiliateLogin(ctx, tenantID, e)
		if apperr.Is(err, apperr.NotFound) {
			hash = ""
		} else if err != nil {
			return tracklane.Affiliate{}, err
		}
	}
	if !passwordMatches(hash, pw) {
		return tracklane.Affiliate{}, errWrongLogin
	}
	switch a.Status {
	case tracklane.AffiliateActive:
		return a, nil
	case tracklane.AffiliatePending:
		if a.EmailUnconfirmed {
			return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden,
				"confirm your email first: open the link we mailed you when you applied (apply again with the same email for a new one)")
		}
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your application is waiting for the merchant's approval; you can log in once it is approved")
	case tracklane.AffiliateRejected:
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your application to this program was not accepted")
	default:
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Forbidden, "your account in this program is suspended; contact the merchant")
	}
}
