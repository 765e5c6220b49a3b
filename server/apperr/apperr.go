// Package apperr defines Tracklane's application errors: a code that says
// what kind of failure it is, and a message that is safe to show the caller.
// Handlers map codes to HTTP statuses in one place (package web); only
// internal errors are logged with their cause.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an application error.
type Code string

// The codes, from the caller's point of view.
const (
	Invalid       Code = "invalid"       // malformed input: 400
	Unauthorized  Code = "unauthorized"  // missing or wrong credentials: 401
	Forbidden     Code = "forbidden"     // known caller, not allowed: 403
	NotFound      Code = "not_found"     // no such object for this tenant: 404
	Conflict      Code = "conflict"      // clashes with existing state: 409
	TooLarge      Code = "too_large"     // body over the cap: 413
	Unprocessable Code = "unprocessable" // well-formed but refers to wrong things: 422
	RateLimited   Code = "rate_limited"  // over a rate limit: 429
	BadGateway    Code = "bad_gateway"   // an upstream (Stripe) refused: 502
	Unavailable   Code = "unavailable"   // not configured or down: 503
	Internal      Code = "internal"      // a bug or an outage: 500, logged
)

// Error is an application error with a message meant for the caller.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the caller-safe message of err: the *Error's message, or
// a generic one for internal errors (whose details must not leak).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
