package signin

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/throttle"
)

// Recheck throttles the forms that ask a signed-in person for their
// password again (a new password, a new payout email) exactly as log-ins
// are (SPEC section 14): whoever holds a session — a borrowed laptop, a
// stolen cookie — cannot guess the password there any faster than at the
// log-in form. Its limits are the log-in's, under keys of its own.
type Recheck struct {
	// Throttle counts the attempts; Key names them ("password",
	// "portal-password"), apart from the log-ins'.
	Throttle *throttle.Throttle
	Key      string
	// Log gets what fails after the action is done (nil: slog.Default).
	Log *slog.Logger
}

// Do runs act as one attempt at the password of account (an id that names
// the signed-in person, e.g. tenant and affiliate). The attempt is counted
// before act runs. act must compare the password before anything else and
// answer an unauthorized error (apperr.Unauthorized) when it is wrong: the
// attempt then stays counted as failed. Any other outcome means the
// password was right, and the account's failures from this network are
// forgotten, as after a log-in. Past a hard limit act does not run: the
// error is rate_limited, with Retry-After set on the answer.
func (r Recheck) Do(c *gin.Context, account string, act func(ctx context.Context) error) error {
	if r.Throttle == nil {
		return apperr.Errorf(apperr.Internal, "signin: no throttle for the %s form", r.Key)
	}
	attempt, perAccountNet, err := takePasswordAttempt(c, r.Throttle, r.Key, []string{r.Key, account})
	if apperr.Is(err, apperr.RateLimited) {
		c.Header("Retry-After", strconv.Itoa(int(loginWindow/time.Second)))
		return apperr.Errorf(apperr.RateLimited, "too many wrong passwords; wait 15 minutes, then try again")
	}
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	err = act(ctx)
	if apperr.Is(err, apperr.Unauthorized) {
		return err
	}
	if serr := r.Throttle.Succeeded(ctx, attempt, perAccountNet); serr != nil {
		log := r.Log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "forgetting the failures of a right password", "form", r.Key, "err", serr)
	}
	return err
}
