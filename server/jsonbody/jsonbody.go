// Package jsonbody reads a capped JSON request body into a struct and turns
// every way that can fail into a clear 4xx application error.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
)

// Decode reads at most limit bytes of r's body as one JSON object into v,
// whatever the Content-Type (the tracker sends text/plain to avoid a CORS
// preflight). Too large → too_large; malformed or wrongly typed → invalid;
// so is a body that is not UTF-8 or a string holding a NUL (SPEC §14):
// encoding/json would turn the first into U+FFFD silently, and PostgreSQL
// cannot store the second, so either would reach the handler as something
// the sender did not send, or a query as a 5xx.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apperr.Errorf(apperr.TooLarge, "request body is larger than %d bytes", limit)
		}
		return apperr.Errorf(apperr.Invalid, "could not read the request body")
	}
	if len(data) == 0 {
		return apperr.Errorf(apperr.Invalid, "request body is empty; expected a JSON object")
	}
	if !utf8.Valid(data) {
		return apperr.Errorf(apperr.Invalid, "request body is not valid UTF-8: every field must be text")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Errorf(apperr.Invalid, "field %q must be a %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return apperr.Errorf(apperr.Invalid, "request body is not valid JSON: %s", trim(err.Error()))
	}
	// A NUL can only come in as the escape \u0000, so only a body holding
	// that text is read again (the click path pays one byte search).
	if bytes.Contains(data, nulEscape) && holdsNUL(data) {
		return apperr.Errorf(apperr.Invalid, "a field of the request body holds a NUL character (\\u0000)")
	}
	return nil
}

var nulEscape = []byte(`\u0000`)

// holdsNUL reports whether a string of the (valid) JSON document data,
// a key or a value, holds a NUL.
func holdsNUL(data []byte) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return true
		}
	}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64":
		return "number"
	default:
		return fmt.Sprintf("%s", k)
	}
}

func trim(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}
