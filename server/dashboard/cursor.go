package dashboard

import (
	"net/url"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
)

// pageSize is the number of rows of a dashboard list page.
const pageSize = 50

// readPage reads ?after= (a keyset.Encode of the last row shown) into a
// keyset page of pageSize rows.
func readPage(after string) (store.Page, error) {
	p := store.Page{Limit: pageSize}
	if after == "" {
		return p, nil
	}
	t, id, err := keyset.Decode(after)
	if err != nil {
		return p, apperr.Errorf(apperr.Invalid, "this page link is broken; start again from the newest page")
	}
	p.After = &store.Cursor{Time: t, ID: id}
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
