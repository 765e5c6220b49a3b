package keyset

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestWireForm pins the form: links and cursors already handed out must
// keep reading back to the same position.
func TestWireForm(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	got := Encode(at, "ck_01J.x")
	want := base64.RawURLEncoding.EncodeToString([]byte("1795681800123456789.ck_01J.x"))
	if got != want {
		t.Fatalf("Encode = %q, want %q", got, want)
	}
	gt, gid, err := Decode(got)
	if err != nil || !gt.Equal(at) || gt.Location() != time.UTC || gid != "ck_01J.x" {
		t.Fatalf("Decode(%q) = %v %q %v, want %v (UTC) %q", got, gt, gid, err, at.UTC(), "ck_01J.x")
	}
}

func TestDecodeRefuses(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"",
		"!!!",
		enc("not-a-cursor"),
		enc("123."),
		enc("x.af_1"),
		enc("123.af_1") + "=", // padded
		base64.RawURLEncoding.EncodeToString([]byte("1." + strings.Repeat("a", MaxLen))), // too long
	} {
		if _, _, err := Decode(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q): err %v, want ErrMalformed", s, err)
		}
	}
}
