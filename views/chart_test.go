package views

import (
	"math"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/tracklane"
)

// The empty chart's message sits between two grid lines, clear of both
// (it used to be centred on the plot, on the middle line).
func TestEmptyChartMessageClearsTheGrid(t *testing.T) {
	days := make([]tracklane.DayTotals, 30)
	for i := range days {
		days[i].Day = time.Date(2026, 3, 1+i, 0, 0, 0, 0, time.UTC)
	}
	c := NewChart(days)
	if c.HasData {
		t.Fatal("a chart of zeros has data")
	}
	const halfLine = 10.0 // half the message's height in chart units, with room
	for _, g := range c.Grid {
		if math.Abs(g.Pos-c.EmptyY()) < halfLine {
			t.Errorf("message at y=%.1f is on the grid line at y=%.1f", c.EmptyY(), g.Pos)
		}
	}
	if y := c.EmptyY(); y <= float64(c.Top) || y >= float64(c.Bottom) {
		t.Errorf("message at y=%.1f outside the plot (%d–%d)", y, c.Top, c.Bottom)
	}
	if y := NewChart(nil).EmptyY(); y <= 0 {
		t.Errorf("no days: message at y=%.1f", y)
	}
}
