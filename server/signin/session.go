package signin

import (
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
)

// Start signs o in with a fresh session id — never one the browser
// brought: no fixation — after ending the session the browser had, if any,
// and gives the browser the id.
func (k *Kind[S]) Start(c *gin.Context, o store.SessionOwner) error {
	if err := k.endBrowserSession(c); err != nil {
		return err
	}
	id := ident.Secret()
	now := k.now()
	if err := k.Store.CreateSession(c.Request.Context(), k.Sessions, ident.Hash(id), o, now, now.Add(Life)); err != nil {
		return err
	}
	k.setSession(c, id)
	return nil
}

// Decoy answers as Start does — the browser's session ended, a session
// cookie of the same shape set — but signs nobody in: the cookie names no
// session, so the browser's next page asks it to log in. (The dashboard's
// sign-up answers so for an email that already has an account, telling
// nobody it has one.)
func (k *Kind[S]) Decoy(c *gin.Context) error {
	if err := k.endBrowserSession(c); err != nil {
		return err
	}
	k.setSession(c, ident.Secret())
	return nil
}

// Current returns the browser's live session; unauthorized when it has
// none (no cookie, an expired or unknown id, or whatever the kind's Read
// refuses).
func (k *Kind[S]) Current(c *gin.Context) (S, error) {
	id, ok := k.browserID(c)
	if !ok {
		var none S
		return none, apperr.Errorf(apperr.Unauthorized, "not signed in")
	}
	return k.Read(c, ident.Hash(id), k.now())
}

// Require returns the middleware of a signed-in group: it loads the
// browser's session and hands it to signedIn, which keeps what the pages
// need (and may Refresh it); the request then goes on. A browser without
// a live session is answered by signedOut (the edge's log-in redirect),
// any other error by fail; the request stops there.
func (k *Kind[S]) Require(signedIn func(c *gin.Context, sess S), signedOut func(c *gin.Context), fail func(c *gin.Context, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, err := k.Current(c)
		switch {
		case apperr.Is(err, apperr.Unauthorized):
			signedOut(c)
			c.Abort()
		case err != nil:
			fail(c, err)
			c.Abort()
		default:
			signedIn(c, sess)
			c.Next()
		}
	}
}

// Refresh extends a session in use for another Life: when it was last
// seen more than TouchEvery ago, or when force (the portal forces the
// first request of a day). A failure is logged, not returned: the page
// does not depend on it.
func (k *Kind[S]) Refresh(c *gin.Context, sess S, force bool) {
	st := sess.State()
	now := k.now()
	if !force && now.Sub(st.LastSeenAt) <= TouchEvery {
		return
	}
	if err := k.Store.TouchSession(c.Request.Context(), k.Sessions, st.IDHash, now, now.Add(Life)); err != nil {
		k.log().WarnContext(c.Request.Context(), "extending a session", "kind", k.Sessions.String(), "err", err)
	}
}

// End logs the browser out: its session is deleted (not just the cookie,
// so a copied cookie stops working too) and its cookie cleared.
func (k *Kind[S]) End(c *gin.Context) error {
	if err := k.endBrowserSession(c); err != nil {
		return err
	}
	k.clearSession(c)
	return nil
}

// endBrowserSession deletes the session the browser's cookie names, if
// any; one that is gone already is fine.
func (k *Kind[S]) endBrowserSession(c *gin.Context) error {
	id, err := c.Cookie(k.Cookie)
	if err != nil || id == "" {
		return nil
	}
	return k.Store.DeleteSession(c.Request.Context(), k.Sessions, ident.Hash(id))
}
