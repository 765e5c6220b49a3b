package dashboard

import "testing"

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/clicks":                        "/clicks",
		"/clicks?period=7d&x=%2F%2F":     "/clicks?period=7d&x=%2F%2F",
		"/conversions/cv_1":              "/conversions/cv_1",
		"/":                              "/",
		"":                               "",
		"clicks":                         "",
		"//evil.example/":                "",
		"/\\evil.example/":               "",
		"/\t/evil.example/":              "",
		"/\r\n/evil.example/":            "",
		"/x\x00":                         "",
		"/x\x7f":                         "",
		"/x\u0085":                       "",
		"https://evil.example/":          "",
		"/a\\b":                          "",
		"/%zz":                           "",
		"/\xff":                          "",
		"/ok#frag":                       "/ok#frag",
		"/" + string(make([]byte, 2000)): "",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
