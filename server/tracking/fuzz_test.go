package tracking

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/jsonbody"
)

// The shapes an accepted code and click id must have, as the spec says.
var (
	codeShape = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)
	cidShape  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// FuzzClickRequest feeds arbitrary bodies through the click endpoint's
// decoding and validation: it must never panic, and whatever it accepts
// must be safe to store (valid UTF-8, capped, a real http(s) URL, a code of
// the allowed shape, a click id of the cookie's alphabet).
func FuzzClickRequest(f *testing.F) {
	for _, seed := range []string{
		`{"tenantId":"tn_1","aff":"partner","url":"https://shop.example/?aff=partner","referrer":"https://google.com/","cid":"abc_DEF-1"}`,
		`{"tenantId":"tn_1","aff":"PARTNER","url":"http://x","cid":null}`,
		`{"tenantId":5}`, `[]`, `null`, ``, `{"aff":"<script>","url":"javascript:alert(1)"}`,
		`{"tenantId":"tn","aff":"ok","url":"https://user:pw@host/p","referrer":"\u0000"}`,
		"{\"tenantId\":\"tn\",\"aff\":\"ok\",\"url\":\"https://h/\xff\"}",
	} {
		f.Add(seed)
	}
	h := &Handler{}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/tracking/click/v1", strings.NewReader(body))
		var req clickRequest
		if err := jsonbody.Decode(httptest.NewRecorder(), r, maxBody, &req); err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("decode error with code %s: %v", c, err)
			}
			return
		}
		in, err := h.parseClick(req)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.NotFound {
				t.Fatalf("parse error with code %s: %v", c, err)
			}
			return
		}
		if !codeShape.MatchString(in.code) {
			t.Fatalf("accepted code %q", in.code)
		}
		if in.cid != "" && !cidShape.MatchString(in.cid) {
			t.Fatalf("accepted cid %q", in.cid)
		}
		u := in.landing.String()
		if !(strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) || in.landing.User != nil {
			t.Fatalf("accepted url %q", u)
		}
		for _, s := range []string{capString(u, 2048), in.referrer, in.tenantID} {
			if !utf8.ValidString(capString(s, 2048)) || strings.ContainsRune(capString(s, 2048), 0) {
				t.Fatalf("unsafe string %q", s)
			}
		}
	})
}

// FuzzCapString: capString always yields valid UTF-8 without NULs, within
// the cap.
func FuzzCapString(f *testing.F) {
	f.Add("héllo wörld", 3)
	f.Add("\xff\x00abc", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		out := capString(s, n)
		if len(out) > n || !utf8.ValidString(out) || strings.ContainsRune(out, 0) {
			t.Fatalf("capString(%q, %d) = %q", s, n, out)
		}
	})
}
