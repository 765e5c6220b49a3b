// Package keyset is the wire form of a keyset page position: the creation
// time and id of the last row a page showed (store.Cursor). The dashboard's
// ?after= links and the API's next_cursor carry the same form, so a position
// is encoded and read back here, once. Each edge words its own error for a
// position it cannot read.
//
// The form is base64url without padding of "<unix nanoseconds>.<id>". It is
// opaque to clients, but links already handed out must keep working, so it
// does not change.
package keyset

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// MaxLen is the longest encoded position Decode reads; a longer one is
// refused as malformed.
const MaxLen = 200

// ErrMalformed is returned by Decode for anything Encode did not make.
var ErrMalformed = errors.New("keyset: malformed position")

// Encode returns the opaque form of the position (t, id).
func Encode(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + "." + id))
}

// Decode reads a position made by Encode; the time is in UTC. It returns
// ErrMalformed for anything else, the empty string included.
func Decode(s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > MaxLen {
		return time.Time{}, "", ErrMalformed
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", ErrMalformed
	}
	return time.Unix(0, n).UTC(), id, nil
}
