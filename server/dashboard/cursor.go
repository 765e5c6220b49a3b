package dashboard

import (
	"net/url"

	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/store"
)

// pageSize is the number of rows of a dashboard list page.
const pageSize = 50

// readPage reads ?after= into a keyset page of pageSize rows.
func readPage(after string) (store.Page, error) { return pagekit.ReadPage(after, pageSize) }

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
