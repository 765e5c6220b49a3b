// Package jsonbody reads a capped JSON request body into a struct and turns
// every way that can fail into a clear 4xx application error.
package jsonbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tracklane/tracklane/server/apperr"
)

// Decode reads at most limit bytes of r's body as one JSON object into v,
// whatever the Content-Type (the tracker sends text/plain to avoid a CORS
// preflight). Too large → too_large; malformed or wrongly typed → invalid.
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
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Errorf(apperr.Invalid, "field %q must be a %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return apperr.Errorf(apperr.Invalid, "request body is not valid JSON: %s", trim(err.Error()))
	}
	return nil
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
