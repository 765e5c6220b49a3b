package views

import (
	"strconv"
	"strings"

	"github.com/tracklane/tracklane/server/tracklane"
)

func num64(n int64) string { return strconv.FormatInt(n, 10) }

func upper(s string) string { return strings.ToUpper(s) }

func first(a, _ string) string  { return a }
func second(_, b string) string { return b }

// adjusted sums a payout's adjustments (negative: clawed back).
func adjusted(p tracklane.Payout) int64 {
	var sum int64
	for _, a := range p.Adjustments {
		sum += a.Amount
	}
	return sum
}

func statusFilterLabel(s string) string {
	if s == "" {
		return "All"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
