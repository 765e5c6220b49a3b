package dashboard

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// maxPeriodDays bounds a custom period (a chart of more days is unreadable
// and the rollups are daily).
const maxPeriodDays = 3 * 366

// period is a chosen range of tenant-local days.
type period struct {
	view  views.Period
	days  tracklane.DayRange // To exclusive
	loc   *time.Location
	start time.Time // the first instant of the range
	end   time.Time // the first instant after it
}

// readPeriod reads ?period=7d|30d|90d|custom&from=&to= (default def) in
// the tenant's timezone. Bad input → invalid, shown as a 400 page.
func readPeriod(q url.Values, tz string, now time.Time, def string) (period, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	today := dateOf(now.In(loc))
	key := q.Get("period")
	if key == "" {
		key = def
	}
	var from, to time.Time // to inclusive
	switch key {
	case "7d", "30d", "90d":
		n, _ := strconv.Atoi(key[:len(key)-1])
		from, to = today.AddDate(0, 0, -(n-1)), today
	case "custom":
		from, err = parseDay(q.Get("from"))
		if err != nil {
			return period{}, apperr.Errorf(apperr.Invalid, "the start date must be a date like 1 Mar 2026")
		}
		to, err = parseDay(q.Get("to"))
		if err != nil {
			return period{}, apperr.Errorf(apperr.Invalid, "the end date must be a date like 31 Mar 2026")
		}
		if !inYears(from) || !inYears(to) {
			return period{}, apperr.Errorf(apperr.Invalid, "dates must be between 1970 and 9999")
		}
		if to.Before(from) {
			return period{}, apperr.Errorf(apperr.Invalid, "the end date is before the start date")
		}
		if to.Sub(from) > maxPeriodDays*24*time.Hour {
			return period{}, apperr.Errorf(apperr.Invalid, "a period can be at most %d days", maxPeriodDays)
		}
	default:
		return period{}, apperr.Errorf(apperr.Invalid, "period must be 7d, 30d, 90d or custom")
	}
	p := period{loc: loc, days: tracklane.DayRange{From: from, To: to.AddDate(0, 0, 1)}}
	p.start = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	p.end = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	p.view = views.Period{Key: key, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Timezone: loc.String(),
		FromText: from.Format(dayFormat), ToText: to.Format(dayFormat)}
	switch key {
	case "custom":
		if from.Year() == to.Year() {
			p.view.Label = from.Format("2 Jan") + " – " + to.Format("2 Jan 2006")
		} else {
			p.view.Label = from.Format("2 Jan 2006") + " – " + to.Format("2 Jan 2006")
		}
	default:
		p.view.Label = "Last " + key[:len(key)-1] + " days"
	}
	return p, nil
}

// dayFormat is how the pages write a day ("8 Dec 2026"); the period's
// date fields use it too, so what a merchant types looks like what they read.
const dayFormat = "2 Jan 2006"

// parseDay reads a day as the pages write it ("8 Dec 2026", "08 December
// 2026", any case) or as a link carries it (2026-12-08).
func parseDay(v string) (time.Time, error) {
	v = strings.Join(strings.Fields(v), " ")
	for _, layout := range []string{time.DateOnly, dayFormat, "2 January 2006"} {
		if d, err := time.Parse(layout, titleMonth(v)); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a day: %q", v)
}

// titleMonth capitalises a month name's first letter ("dec" → "Dec") so
// that time.Parse, which wants "Dec", takes any case.
func titleMonth(v string) string {
	parts := strings.Split(v, " ")
	if len(parts) == 3 && parts[1] != "" {
		parts[1] = strings.ToUpper(parts[1][:1]) + strings.ToLower(parts[1][1:])
	}
	return strings.Join(parts, " ")
}

// inYears reports whether a chosen date is in the years a period may
// cover (SPEC §14): nothing was tracked before 1970, and PostgreSQL and the
// charts' arithmetic need four-digit years.
func inYears(d time.Time) bool { return d.Year() >= 1970 && d.Year() <= 9999 }

// dateOf is t's calendar date as a UTC midnight (a plain date).
func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// periodQuery is the query pairs that select p again.
func periodQuery(p period) []string {
	if p.view.Key == "custom" {
		return []string{"period", "custom", "from", p.view.From, "to", p.view.To}
	}
	return []string{"period", p.view.Key}
}
