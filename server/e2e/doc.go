// Package e2e holds no code: its sub-packages are Tracklane's end-to-end
// tests, each a package of tests only (a doc.go, the rest _test.go files)
// that drives the whole application from outside, as a browser, an attacker
// or a crashing machine would:
//
//   - browsertest: the tracker script in headless Chromium, and the
//     conversion command against the real server;
//   - programtest: an affiliate program end to end in Chromium (apply,
//     approve, sale in Stripe, portal, payout mailed through Mailpit, a
//     refund clawed back);
//   - securitytest: tenant isolation on every route, stored XSS, hostile
//     query parameters (with a fuzz target), what a database dump reveals;
//   - faulttest: PostgreSQL restarted under load, the server killed with
//     SIGKILL, two server processes on one database, a misbehaving Stripe.
//
// They run with every other test (`go test ./...`, as .ci/test does) and
// need what the rest of the suite needs: PostgreSQL on 127.0.0.1:5432,
// chromium, stripe-mock and mailpit on PATH (.ci/test installs the missing
// ones). They are slow; on their own:
//
//	go test -count=1 -p 1 ./server/e2e/...
//
// The helpers they share are test support in server/testkit (apptest,
// browser, fault, fakestripe, mailpit).
package e2e
