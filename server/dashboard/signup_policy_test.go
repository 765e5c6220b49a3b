package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

// signupForm is a complete sign-up form.
func signupForm(email string) url.Values {
	return url.Values{"name": {"Shop"}, "email": {email}, "password": {"correct horse battery"}, "website": {"https://shop.example"}}
}

// SIGNUP=first (the default): a fresh instance sends its first visitor to
// the sign-up page; once it has its tenant, nobody else can sign up in the
// browser (a plain POST included) and the log-in page no longer offers it.
func TestSignupFirstOnlyWhileTheInstanceHasNoTenant(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"SIGNUP": ""}) // unset: the product's default
	owner := newBrowser(t, app)
	if a := owner.get("/"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/signup" {
		t.Fatalf("/ on a fresh instance: %d → %q, want the sign-up page", a.status, a.header.Get("Location"))
	}
	owner.get("/login").must(t, http.StatusOK, `href="/signup"`)
	owner.signup("Shop", "owner@shop.example")
	// A browser sign-up makes no personal token it would never show.
	if n := app.QueryInt(t, `SELECT count(*) FROM personal_tokens`); n != 0 {
		t.Errorf("the sign-up made %d personal tokens nobody saw", n)
	}

	stranger := newBrowser(t, app)
	stranger.get("/login").must(t, http.StatusOK, "Log in")
	if a := stranger.get("/login"); strings.Contains(a.body, `href="/signup"`) {
		t.Error("the log-in page still invites strangers to sign up")
	}
	stranger.get("/signup").must(t, http.StatusForbidden, "already has its account")
	stranger.post("/signup", signupForm("intruder@evil.example")).must(t, http.StatusForbidden, "already has its account")
	if _, err := app.Store.UserByEmail(context.Background(), "intruder@evil.example"); err == nil {
		t.Error("a refused sign-up made an account")
	}
	// The CLI's tenant create always works.
	if _, err := app.Accounts.CreateTenant(context.Background(), apptestTenant("second@shop.example")); err != nil {
		t.Errorf("tenant create under SIGNUP=first: %v", err)
	}
}

// SIGNUP=closed: no browser sign-up, not even the first; the log-in page
// stays the log-in page.
func TestSignupClosed(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"SIGNUP": "closed"})
	b := newBrowser(t, app)
	if a := b.get("/"); a.header.Get("Location") != "/login" {
		t.Errorf("/ on a fresh closed instance goes to %q, want the log-in page", a.header.Get("Location"))
	}
	b.get("/signup").must(t, http.StatusForbidden, "Sign-up is closed")
	b.post("/signup", signupForm("first@shop.example")).must(t, http.StatusForbidden, "Sign-up is closed")
	if _, err := app.Store.UserByEmail(context.Background(), "first@shop.example"); err == nil {
		t.Error("a sign-up under SIGNUP=closed made an account")
	}
}

// SIGNUP=open: anyone may sign up, and the log-in page says so.
func TestSignupOpen(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, map[string]string{"SIGNUP": "open"})
	newBrowser(t, app).signup("One", "one@shop.example")
	b := newBrowser(t, app)
	b.get("/login").must(t, http.StatusOK, `href="/signup"`)
	b.signup("Two", "two@shop.example")
}

func apptestTenant(email string) account.NewTenantInput {
	return account.NewTenantInput{Name: "Second", Email: email, Password: "correct horse battery", Website: "https://two.example"}
}
