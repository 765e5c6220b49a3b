package respond

import (
	"net/http"
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
)

func TestStatus(t *testing.T) {
	for code, want := range map[apperr.Code]int{
		apperr.Invalid:       http.StatusBadRequest,
		apperr.Unauthorized:  http.StatusUnauthorized,
		apperr.Forbidden:     http.StatusForbidden,
		apperr.NotFound:      http.StatusNotFound,
		apperr.Conflict:      http.StatusConflict,
		apperr.TooLarge:      http.StatusRequestEntityTooLarge,
		apperr.Unprocessable: http.StatusUnprocessableEntity,
		apperr.RateLimited:   http.StatusTooManyRequests,
		apperr.BadGateway:    http.StatusBadGateway,
		apperr.Unavailable:   http.StatusServiceUnavailable,
		apperr.Internal:      http.StatusInternalServerError,
		"":                   http.StatusInternalServerError,
		"no_such_code":       http.StatusInternalServerError,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%q) = %d, want %d", code, got, want)
		}
	}
}
