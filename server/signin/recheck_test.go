package signin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/signin"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/throttle"
)

// recheckRequest is a signed-in form's request from one address.
func recheckRequest() (*gin.Context, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodPost, "/settings", nil)
	c.Request.RemoteAddr = "198.51.100.7:4000"
	return c, rec
}

// A form that asks for the password again is held to the log-in's limits:
// 5 wrong passwords for one account from one network, then 429 (with
// Retry-After) without running the action, even for the right password;
// a right password forgets the failures; another account is counted apart.
func TestRecheckThrottlesLikeALogIn(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	r := signin.Recheck{Throttle: throttle.New(st, []byte("recheck key"), nil), Key: "portal-password", Log: storetest.Logger(t)}
	wrong := func(context.Context) error {
		return apperr.Errorf(apperr.Unauthorized, "the current password is wrong")
	}
	runs := 0
	right := func(context.Context) error { runs++; return nil }
	try := func(account string, act func(context.Context) error) (*httptest.ResponseRecorder, error) {
		c, rec := recheckRequest()
		return rec, r.Do(c, account, act)
	}

	for range 4 {
		if _, err := try("jane", wrong); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	// A right password (or any answer past the password, such as a refused
	// new value) forgets the failures.
	if _, err := try("jane", func(context.Context) error { return apperr.Errorf(apperr.Invalid, "new password too short") }); !apperr.Is(err, apperr.Invalid) {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := try("jane", wrong); !apperr.Is(err, apperr.Unauthorized) {
			t.Fatalf("failures were not forgotten after a right password: %v", err)
		}
	}
	rec, err := try("jane", right)
	if !apperr.Is(err, apperr.RateLimited) || runs != 0 || rec.Header().Get("Retry-After") != "900" {
		t.Fatalf("the 6th try: %v, ran %d, Retry-After %q", err, runs, rec.Header().Get("Retry-After"))
	}
	if _, err := try("kai", right); err != nil || runs != 1 {
		t.Fatalf("another account: %v (ran %d)", err, runs)
	}

	if err := (signin.Recheck{Key: "x"}).Do(func() *gin.Context { c, _ := recheckRequest(); return c }(), "jane", right); !apperr.Is(err, apperr.Internal) {
		t.Fatalf("no throttle: %v", err)
	}
}
