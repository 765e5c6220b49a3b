package signin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ratelimit"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
)

// The log-in throttle of each kind, within loginWindow (counted in
// PostgreSQL, so every process agrees; see package throttle):
//   - loginMaxPerEmailNet failed log-ins for one email from one network
//     (an IPv4 address, an IPv6 /64), then 429;
//   - loginMaxPerNet failed log-ins from one network whatever the email
//     (one guesser trying many accounts), then 429;
//   - loginSlowPerEmail failed log-ins for one email from anywhere (many
//     networks guessing one account), then every attempt for that email
//     waits, longer the more there were, but is never refused: a guesser
//     cannot lock the owner out, and the owner's right password from their
//     own network still gets in.
const (
	loginWindow         = 15 * time.Minute
	loginMaxPerEmailNet = 5
	loginMaxPerNet      = 20
	loginSlowPerEmail   = 20
)

// Verify checks the email and password of a log-in and names whom they
// sign in (account.Service's MerchantLogin, AffiliateLogin). An unknown
// email or a wrong password is unauthorized; any error stops the log-in.
type Verify func(ctx context.Context) (store.SessionOwner, error)

// ErrLeft is LogIn's error when the client left while its attempt waited
// (a slow limit): there is nobody to answer. The attempt stays counted.
var ErrLeft = errors.New("signin: the client left while its log-in waited")

// LogIn is one log-in attempt for email (as folded: it keys the
// throttle) from the request's network; scope, when not "", narrows the
// per-email keys (the portal's program: an email may belong to an
// affiliate of several programs).
//
// The attempt is counted before verify compares the password, so parallel
// attempts cannot all pass the check. Past a hard limit verify does not
// run and the error is throttle.ErrLimited (rate_limited); past the slow
// limit the attempt first waits. verify's error is returned as it is, and
// the attempt stays counted as failed. A success forgets the email's
// failures from this network and starts a session for whom verify named.
func (k *Kind[S]) LogIn(c *gin.Context, email, scope string, verify Verify) error {
	ctx := c.Request.Context()
	th := k.Throttle
	perEmail := []string{k.ThrottleKey}
	if scope != "" {
		perEmail = append(perEmail, scope)
	}
	perEmail = append(perEmail, email)
	attempt, perEmailNet, err := takePasswordAttempt(c, th, k.ThrottleKey, perEmail)
	if err != nil {
		return err
	}
	owner, err := verify(ctx)
	if err != nil {
		return err
	}
	if err := th.Succeeded(ctx, attempt, perEmailNet); err != nil {
		return err
	}
	return k.Start(c, owner)
}

// takePasswordAttempt counts one attempt at a password from the
// request's network under the log-in limits: per account (perAccount, the
// key's parts) and network, per network (under key+"-network"), and per
// account from anywhere (slow); then waits any delay a slow limit asks
// for. It returns the attempt and its per-account-and-network key (what a
// success forgets); throttle.ErrLimited past a hard limit, ErrLeft when
// the client left while it waited.
func takePasswordAttempt(c *gin.Context, th *throttle.Throttle, key string, perAccount []string) (throttle.Attempt, throttle.Key, error) {
	ctx := c.Request.Context()
	network := ratelimit.ClientKey(c.ClientIP())
	perAccountNet := th.Key(slices.Concat(perAccount, []string{network})...)
	attempt, err := th.Take(ctx,
		throttle.Limit{Key: perAccountNet, Window: loginWindow, Max: loginMaxPerEmailNet},
		throttle.Limit{Key: th.Key(key+"-network", network), Window: loginWindow, Max: loginMaxPerNet},
		throttle.Limit{Key: th.Key(perAccount...), Window: loginWindow, Max: loginSlowPerEmail, Slow: true},
	)
	if err != nil {
		return throttle.Attempt{}, nil, err
	}
	if err := th.Wait(ctx, attempt); err != nil {
		return throttle.Attempt{}, nil, ErrLeft
	}
	return attempt, perAccountNet, nil
}

// Refusal is how a log-in form answers LogIn's refusal: too many attempts
// (429, and Retry-After set: the window) or a wrong email or password
// (401), with the form's message. ok is false for any other error, which
// is the edge's to answer.
func Refusal(c *gin.Context, err error) (status int, message string, ok bool) {
	switch {
	case apperr.Is(err, apperr.RateLimited):
		c.Header("Retry-After", strconv.Itoa(int(loginWindow/time.Second)))
		return http.StatusTooManyRequests, "Too many failed attempts. Wait 15 minutes, then try again.", true
	case apperr.Is(err, apperr.Unauthorized):
		return http.StatusUnauthorized, "Wrong email or password.", true
	}
	return 0, "", false
}
