// Package respond writes Tracklane's JSON answers and maps application
// error codes to HTTP statuses, in one place for every handler.
package respond

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
)

// Status maps an error code to its HTTP status.
func Status(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.BadGateway:
		return http.StatusBadGateway
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
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
