package dashboard

import (
	"context"
	"encoding/csv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// csvPage is how many rows a CSV export reads per query while streaming.
const csvPage = 1000

// csvExport is a CSV download of store rows of type T, newest first.
type csvExport[T any] struct {
	what     string // "click", "conversion": names the export in logs
	filename string
	header   []string
	// list reads one keyset page of rows.
	list func(ctx context.Context, p store.Page) ([]T, error)
	// position is a row's keyset position, where the next page starts after.
	position func(T) store.Cursor
	// affiliate is the id of a row's affiliate, whose name record is given.
	affiliate func(T) string
	// record is a row's cells.
	record func(row T, affiliateName string) []string
}

// streamCSV pages through the store with the keyset cursor and writes each
// page as it is read. The header goes out with the first page: until then a
// failure is answered as an error page; after it, all the export can do is
// stop, and the failure is logged.
func streamCSV[T any](h *Handler, c *gin.Context, e csvExport[T]) {
	ctx := c.Request.Context()
	pg := store.Page{Limit: csvPage}
	names := map[string]tracklane.Affiliate{}
	var w *csvWriter
	for {
		rows, err := e.list(ctx, pg)
		if err != nil {
			if w == nil {
				h.fail(c, err)
			} else { // the header is out: all we can do is stop
				h.log.ErrorContext(ctx, e.what+" export interrupted", "err", err)
			}
			return
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = e.affiliate(r)
		}
		if err := h.addNames(c, names, ids); err != nil {
			h.log.ErrorContext(ctx, e.what+" export: affiliate names", "err", err)
		}
		if w == nil {
			w = newCSV(c, e.filename, e.header)
		}
		for _, r := range rows {
			w.row(e.record(r, names[e.affiliate(r)].Name)...)
		}
		if err := w.flush(); err != nil || len(rows) < pg.Limit {
			return
		}
		last := e.position(rows[len(rows)-1])
		pg.After = &last
	}
}

// addNames adds the affiliates among ids that names lacks.
func (h *Handler) addNames(c *gin.Context, names map[string]tracklane.Affiliate, ids []string) error {
	var missing []string
	for _, id := range uniq(ids) {
		if _, ok := names[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := h.store.AffiliatesByID(c.Request.Context(), tenantID(c), missing)
	for id, a := range got {
		names[id] = a
	}
	return err
}

// csvWriter streams a CSV download: rows are written as they are read, so
// an export of a million rows never sits in memory.
type csvWriter struct {
	w *csv.Writer
}

func newCSV(c *gin.Context, filename string, header []string) *csvWriter {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("X-Content-Type-Options", "nosniff")
	w := &csvWriter{w: csv.NewWriter(c.Writer)}
	w.row(header...)
	return w
}

// row writes one record with every cell neutralised.
func (w *csvWriter) row(cells ...string) {
	for i, s := range cells {
		cells[i] = neutralise(s)
	}
	_ = w.w.Write(cells) // a client that went away is not our error
}

// flush pushes what is buffered to the client (after each page of rows).
func (w *csvWriter) flush() error {
	w.w.Flush()
	return w.w.Error()
}

// neutralise defuses formula injection: a spreadsheet runs a cell that
// starts with =, +, -, @, tab or CR as a formula, so such a cell gets a
// leading apostrophe.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
