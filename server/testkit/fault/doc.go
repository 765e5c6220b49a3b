// Package fault is the harness of Tracklane's fault-injection tests (in
// server/e2e/faulttest): building and running the real server binary as an OS
// process (proc.go), a private PostgreSQL cluster that a test may stop and
// restart without disturbing the shared server on 5432 (cluster.go), and a
// recording, fault-injecting proxy in front of the fake Stripe API
// (proxy.go).
//
// It is test support only (see package testkit).
package fault
