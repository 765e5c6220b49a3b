package dashboard

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
)

// pageSize is the number of rows of a dashboard list page.
const pageSize = 50

// encodeCursor makes the opaque ?after= value of a page's last row.
func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixNano(), 10) + "." + id))
}

// readPage reads ?after= into a keyset page of pageSize rows.
func readPage(after string) (store.Page, error) {
	p := store.Page{Limit: pageSize}
	if after == "" {
		return p, nil
	}
	bad := apperr.Errorf(apperr.Invalid, "this page link is broken; start again from the newest page")
	b, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil || len(after) > 200 {
		return p, bad
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return p, bad
	}
	p.After = &store.Cursor{Time: time.Unix(0, n).UTC(), ID: id}
	return p, nil
}

// pageURL builds path?pairs…, leaving out empty values.
func pageURL(path string, pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
