// Package testkit is the root of Tracklane's test support; it holds no code
// itself. Its packages are used only by tests, benchmarks and dev tools,
// never by the server:
//
//   - apptest: the whole application, really wired, behind an httptest server
//   - browser: headless Chromium through chromedp, screenshots as artifacts
//   - fakestripe: a stateful, in-process fake of the Stripe API
//   - mailpit: a real SMTP server (Mailpit) on loopback ports, read through its API
//   - fault: the server as an OS process, a private PostgreSQL cluster, a
//     fault-injecting proxy in front of the fake Stripe API
//   - storetest: a freshly migrated PostgreSQL database per test
//
// It is server/testkit and not server/internal/testkit on purpose: the
// benchmarks under bench/ (outside server/) import storetest and fakestripe,
// and Go's internal rule would forbid that.
package testkit
