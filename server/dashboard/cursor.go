package dashboard

import (
	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/server/store"
)

// pageSize is the number of rows of a dashboard list page.
const pageSize = 50

// readPage reads ?after= into a keyset page of pageSize rows.
func readPage(after string) (store.Page, error) { return pagekit.ReadPage(after, pageSize) }

// rowsAfter reads ?after= and loads that keyset page of rows with load.
func rowsAfter[T any](c *gin.Context, load func(pg store.Page) ([]T, error)) ([]T, store.Page, error) {
	pg, err := readPage(c.Query("after"))
	if err != nil {
		return nil, pg, err
	}
	rows, err := load(pg)
	return rows, pg, err
}
