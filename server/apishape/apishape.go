// Package apishape holds the shapes in which Tracklane writes its records
// for programs: the JSON objects of the REST API (SPEC sections 5, 9 and
// 11), which the CLI prints too, and the PayPal Payouts bulk file, which
// the API and the dashboard both serve. Keeping one builder per record
// here is what keeps the API, the CLI and the dashboard's downloads from
// drifting apart.
//
// It knows neither HTTP nor SQL: each builder is a pure function of a
// domain record (package tracklane).
package apishape

import "time"

// rfc3339 renders a time as the API does: RFC 3339, UTC, whole seconds.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// nullable renders "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
