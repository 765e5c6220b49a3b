package jsonbody_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/jsonbody"
)

func TestDecode(t *testing.T) {
	type req struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	for body, want := range map[string]string{
		`{"name":"ok","tags":["a","b"]}`: "",
		`{"name":"a\\u0000b"}`:           "", // an escaped backslash, then text
		`{"name":"\u00e9\u2028"}`:        "",
		`{"name":"a\u0000b"}`:            "NUL",
		`{"tags":["a","\u0000"]}`:        "NUL",
		`{"other":{"x\u0000":1}}`:        "NUL",
		"{\"name\":\"\xff\"}":            "UTF-8",
		"{\"name\":\"caf\xc3\"}":         "UTF-8",
		"{\"name\":\"ok\"}\xed\xa0\x80":  "UTF-8", // an encoded surrogate
		`{"name":5}`:                     `field "name" must be a string`,
		`{"name":`:                       "not valid JSON",
		``:                               "empty",
		`{"name":"` + strings.Repeat("x", 100) + `"}`: "larger than",
	} {
		var v req
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		err := jsonbody.Decode(httptest.NewRecorder(), r, 64, &v)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want an error saying %q", body, err, want)
		case err != nil && !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.TooLarge):
			t.Errorf("%q: %v is not a 4xx", body, err)
		}
	}
}
