package portalpages

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/keyset"
	"github.com/tracklane/tracklane/server/store"
)

// listPage is what a keyset list page of the affiliate's rows shows
// besides the rows: whether it is the newest page, and the links.
type listPage struct {
	First             bool
	FirstURL, NextURL string // NextURL "" on the last page
}

// loadList loads the page of ?after= of the affiliate's rows with load,
// newest first, and the pager of /p/<slug><path>. key is a row's keyset
// position (created_at, id). On an error it has answered the request and
// ok is false.
func loadList[T any](h *Handler, c *gin.Context, v Viewer, path string,
	load func(ctx context.Context, tenantID, affiliateID string, p store.Page) ([]T, error),
	key func(T) (time.Time, string)) (rows []T, lp listPage, ok bool) {
	pg, err := readPage(c.Query("after"))
	if err != nil {
		h.fail(c, v, err)
		return nil, lp, false
	}
	rows, err = load(c.Request.Context(), v.Tenant.ID, v.Affiliate.ID, pg)
	if err != nil {
		h.fail(c, v, err)
		return nil, lp, false
	}
	lp = listPage{First: pg.After == nil, FirstURL: "/p/" + c.Param("slug") + path}
	if len(rows) == pageSize {
		lp.NextURL = pageURL(lp.FirstURL, keyset.Encode(key(rows[len(rows)-1])))
	}
	return rows, lp, true
}
