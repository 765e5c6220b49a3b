package dashboard

import (
	"encoding/csv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/views"
)

// csvPages is how many rows a CSV export reads per query while streaming.
const csvPage = 1000

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

// maskOrEmpty masks a customer email for an export as on the pages: the
// Stripe customer id is the exact key for reconciling.
func maskOrEmpty(email string) string {
	if email == "" {
		return ""
	}
	return views.MaskEmail(email)
}
