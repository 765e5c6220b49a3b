// Package securitytest holds cross-cutting security tests that exercise the
// whole application: tenant isolation on every route, stored XSS through
// every field a stranger can set, security headers, and what a database
// dump would reveal. It has no production code.
package securitytest
