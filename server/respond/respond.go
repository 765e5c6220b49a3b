// Package respond writes Tracklane's JSON answers and maps application
// error codes to HTTP statuses, in one place for every handler.
package respond

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
)

// statuses maps each error code to its HTTP status.
var statuses = map[apperr.Code]int{
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
}

// Status maps an error code to its HTTP status: 500 for Internal and any
// code statuses does not list.
func Status(code apperr.Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error: {"error":{"message":"…"}}.
type ErrorBody struct {
	Error ErrorMessage `json:"error"`
}

// ErrorMessage is the inner object of ErrorBody.
type ErrorMessage struct {
	Message string `json:"message"`
}

// Error answers err as JSON with the status of its code. Internal errors are
// logged with their cause and answered with a generic message.
func Error(c *gin.Context, log *slog.Logger, err error) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
	}
	c.AbortWithStatusJSON(Status(code), ErrorBody{Error: ErrorMessage{Message: apperr.MessageOf(err)}})
}

// Errorf answers a new application error.
func Errorf(c *gin.Context, code apperr.Code, format string, args ...any) {
	e := apperr.Errorf(code, format, args...)
	c.AbortWithStatusJSON(Status(code), ErrorBody{Error: ErrorMessage{Message: e.Message}})
}
