package urlcheck_test

import (
	"net/url"
	"testing"

	"github.com/tracklane/tracklane/server/urlcheck"
)

func TestCheck(t *testing.T) {
	for raw, ok := range map[string]bool{
		"/clicks?period=7d&affiliate=af_1": true,
		"/conversions/cv_1":                true,
		"/clicks?q=%C3%A9":                 true,
		"/clicks?affiliate=%00":            false,
		"/clicks?affiliate=a%00b":          false,
		"/clicks?affiliate=%FF%FE":         false,
		"/clicks?%FF=1":                    false,
		"/conversions/%00":                 false,
		"/conversions/%FF":                 false,
		"/clicks?limit=%zz":                false,
		"/clicks?a=1;b=2":                  false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := urlcheck.Check(u); (err == nil) != ok {
			t.Errorf("%s: %v, want ok=%v", raw, err, ok)
		}
	}
}
