// Package faulttest holds Tracklane's fault-injection tests: PostgreSQL
// restarted under load, the server killed with SIGKILL in the middle of a
// Stripe sync, two server processes sharing one database, a misbehaving
// Stripe API, and Stripe events delivered in any order by webhooks and
// polling. Every test checks the one property merchants pay by: no
// acknowledged click or link is lost, and every Stripe event takes effect
// exactly once.
//
// It has no production code; the harness (the server binary as an OS
// process, a private PostgreSQL cluster, a fault-injecting proxy in front of
// the fake Stripe API) is in server/testkit/fault.
package faulttest
