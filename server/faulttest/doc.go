// Package faulttest holds Tracklane's fault-injection tests: PostgreSQL
// restarted under load, the server killed with SIGKILL in the middle of a
// Stripe sync, two server processes sharing one database, a misbehaving
// Stripe API, and Stripe events delivered in any order by webhooks and
// polling. Every test checks the one property merchants pay by: no
// acknowledged click or link is lost, and every Stripe event takes effect
// exactly once.
//
// The non-test files are the harness: building and running the real server
// binary as an OS process (proc.go), a private PostgreSQL cluster that a test
// may stop and restart without disturbing the shared server on 5432
// (cluster.go), and a recording, fault-injecting proxy in front of the fake
// Stripe API (proxy.go).
package faulttest
