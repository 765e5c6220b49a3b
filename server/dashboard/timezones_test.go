package dashboard_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/dashboard"
)

// The timezone field offers every zone of the tz database, each one a name
// the server accepts (the binary carries the database: account imports
// time/tzdata).
func TestZoneNamesAreAllLoadable(t *testing.T) {
	names := dashboard.ZoneNames
	if len(names) < 300 || names[0] != "UTC" || !slices.IsSorted(names[1:]) {
		t.Fatalf("%d zones, first %q, sorted after UTC: %v", len(names), names[0], slices.IsSorted(names[1:]))
	}
	for _, want := range []string{"Europe/Berlin", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Pacific/Auckland"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is missing", want)
		}
	}
	for _, name := range names {
		if _, err := time.LoadLocation(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
