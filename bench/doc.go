// Package bench holds Tracklane's performance benchmarks and the checks that
// must hold under load: the click load runner (clickbench), the Stripe sync
// backlog benchmark (syncbench), the dashboard data generator (datagen) and
// the report writer (report). run.sh runs them all and writes RESULTS.md.
//
// The package itself has only a test: clicks acknowledged with a 200 survive
// a SIGKILL of the server mid-load (durability_test.go), run by go test.
package bench
