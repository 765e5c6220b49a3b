// Package signin signs people in to Tracklane's two kinds of pages — the
// merchant's dashboard and an affiliate's portal — written once for both:
// the log-in throttle, the log-in attempt, the session cookies and the
// sessions' life (start, read, refresh, end). Each edge configures a Kind
// (its cookie's name and path, its session table, how it reads a session,
// its throttle keys) and keeps only its pages.
//
// Checking an email and password is the account service's
// (account.Service's MerchantLogin and AffiliateLogin, which compare a
// dummy hash for an unknown email): a Kind's LogIn calls it between the
// throttle and the new session, and knows nothing of users or affiliates.
//
// Forms that ask a signed-in person for their password again (a new
// password, a new payout email) are throttled as log-ins are, with Recheck.
//
// Sessions live in PostgreSQL (store.CreateSession and the rest), so any
// number of server processes share them; the browser holds a random id,
// the table only its hash. The two kinds never mix: each has its own
// table and cookie, and the portal's cookie is scoped to its program's
// path.
package signin

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/throttle"
)

const (
	// Life is how long an idle session lasts; use extends it (Refresh).
	Life = 30 * 24 * time.Hour
	// TouchEvery bounds how often a session's expiry is written.
	TouchEvery = time.Hour
)

// Store keeps the sessions of every kind (*store.Store).
type Store interface {
	CreateSession(ctx context.Context, k store.SessionKind, idHash []byte, o store.SessionOwner, now, expires time.Time) error
	TouchSession(ctx context.Context, k store.SessionKind, idHash []byte, now, expires time.Time) error
	DeleteSession(ctx context.Context, k store.SessionKind, idHash []byte) error
}

// Session is a session as its kind reads it (store.Session,
// store.PortalSession): whatever else it holds, it has the common state.
type Session interface {
	State() store.SessionState
}

// Kind is one kind of sign-in. Every field but Log and Now must be set
// (the edges build theirs in their constructors).
type Kind[S Session] struct {
	// Cookie is the session cookie's name ("tl_session", "tl_portal").
	Cookie string
	// Path is the path of the kind's cookies for a request: "/" for the
	// dashboard (RootPath); the program's "/p/<slug>" for the portal, so
	// the browser never sends a portal cookie to the dashboard, the API or
	// another program.
	Path func(c *gin.Context) string
	// Secure marks the cookies Secure (config.Config.Secure: an https
	// PUBLIC_URL).
	Secure bool

	// Sessions is the kind's table; Store keeps it.
	Sessions store.SessionKind
	Store    Store
	// Read returns the live session with this id hash for the request;
	// unauthorized when there is none (store.SessionByHash; the portal
	// reads in the program of the URL).
	Read func(c *gin.Context, idHash []byte, now time.Time) (S, error)

	// Throttle counts log-in attempts under keys named by ThrottleKey
	// ("login", "portal-login"), so the kinds' attempts are counted apart.
	Throttle    *throttle.Throttle
	ThrottleKey string

	// Now is the clock (time.Now when nil); Log gets what is logged, not
	// shown (slog.Default when nil).
	Now func() time.Time
	Log *slog.Logger
}

// RootPath is the dashboard's cookie path: the whole site.
func RootPath(*gin.Context) string { return "/" }

func (k *Kind[S]) now() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}

func (k *Kind[S]) log() *slog.Logger {
	if k.Log == nil {
		return slog.Default()
	}
	return k.Log
}
