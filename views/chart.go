package views

import (
	"fmt"
	"math"
	"strings"

	"github.com/tracklane/tracklane/server/tracklane"
)

// Chart is the geometry of the overview's SVG chart of clicks (bars, left
// axis) and conversions (line, right axis) per day, computed here so the
// template only draws.
type Chart struct {
	W, H        int
	Left, Right int    // x of the plot's edges
	Top, Bottom int    // y of the plot's edges
	Bars        []Bar  // clicks
	Points      string // conversions polyline
	Dots        []Dot  // conversions
	Grid        []Tick // horizontal grid lines with the clicks scale
	RightTicks  []Tick // the conversions scale
	XLabels     []Tick // some days
	HasData     bool
	Summary     string  // for screen readers
	BarWidth    float64 // so the template can space hover targets
}

// Bar is one day's clicks.
type Bar struct {
	X, Y, W, H float64
	HoverX     float64
	HoverW     float64
	Title      string
}

// Dot is one day's conversions.
type Dot struct {
	X, Y float64
}

// Tick is a labelled position on an axis.
type Tick struct {
	Pos   float64
	Label string
}

// NewChart lays out days (oldest first) as a chart.
func NewChart(days []tracklane.DayTotals) Chart {
	c := Chart{W: 760, H: 240, Left: 48, Right: 760 - 44, Top: 12, Bottom: 240 - 30}
	n := len(days)
	if n == 0 {
		return c
	}
	var maxClicks, maxConv, total int64
	for _, d := range days {
		maxClicks = max(maxClicks, d.Clicks)
		maxConv = max(maxConv, d.Conversions)
		total += d.Clicks + d.Conversions
	}
	c.HasData = total > 0
	clickMax := niceMax(maxClicks)
	convMax := niceMax(maxConv)
	plotW := float64(c.Right - c.Left)
	plotH := float64(c.Bottom - c.Top)
	slot := plotW / float64(n)
	c.BarWidth = math.Max(1, slot*0.7)
	var pts []string
	for i, d := range days {
		x := float64(c.Left) + slot*float64(i)
		h := plotH * float64(d.Clicks) / float64(clickMax)
		label := d.Day.Format("Mon 2 Jan")
		c.Bars = append(c.Bars, Bar{
			X: round1(x + (slot-c.BarWidth)/2), Y: round1(float64(c.Bottom) - h), W: round1(c.BarWidth), H: round1(h),
			HoverX: round1(x), HoverW: round1(slot),
			Title: fmt.Sprintf("%s: %s %s, %s %s", label, num(d.Clicks), plural(d.Clicks, "click", "clicks"),
				num(d.Conversions), plural(d.Conversions, "conversion", "conversions")),
		})
		cx := x + slot/2
		cy := float64(c.Bottom) - plotH*float64(d.Conversions)/float64(convMax)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx, cy))
		if n <= 45 || d.Conversions > 0 {
			c.Dots = append(c.Dots, Dot{X: round1(cx), Y: round1(cy)})
		}
	}
	c.Points = strings.Join(pts, " ")
	for i := 0; i <= 4; i++ {
		y := float64(c.Bottom) - plotH*float64(i)/4
		c.Grid = append(c.Grid, Tick{Pos: round1(y), Label: compact(clickMax * int64(i) / 4)})
		c.RightTicks = append(c.RightTicks, Tick{Pos: round1(y), Label: compact(convMax * int64(i) / 4)})
	}
	// About six date labels, whatever the range.
	step := max(1, int(math.Ceil(float64(n)/6)))
	for i := 0; i < n; i += step {
		c.XLabels = append(c.XLabels, Tick{Pos: round1(float64(c.Left) + slot*float64(i) + slot/2), Label: days[i].Day.Format("2 Jan")})
	}
	var clicks, conv int64
	for _, d := range days {
		clicks += d.Clicks
		conv += d.Conversions
	}
	c.Summary = fmt.Sprintf("%s clicks and %s conversions from %s to %s", num(clicks), num(conv),
		days[0].Day.Format("2 Jan 2006"), days[n-1].Day.Format("2 Jan 2006"))
	return c
}

// EmptyY is where the "no data" message goes: halfway between two grid
// lines, so that no line runs through its text.
func (c Chart) EmptyY() float64 {
	if len(c.Grid) < 3 {
		return float64(c.Top+c.Bottom) / 2
	}
	return round1((c.Grid[1].Pos + c.Grid[2].Pos) / 2)
}

// niceMax rounds v up to 1, 2, 2.5 or 5 times a power of ten, and at least 4
// so that four grid steps are whole numbers.
func niceMax(v int64) int64 {
	if v <= 4 {
		return 4
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 4, 5, 8, 10} {
		if m*p >= v && (m*p)%4 == 0 {
			return m * p
		}
	}
	return 10 * p
}

// compact renders an axis label: 950, 1.2k, 3.4M.
func compact(v int64) string {
	switch {
	case v >= 1_000_000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(v)/1e6), ".0") + "M"
	case v >= 10_000:
		return fmt.Sprintf("%dk", v/1000)
	case v >= 1000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(v)/1e3), ".0") + "k"
	}
	return fmt.Sprint(v)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
