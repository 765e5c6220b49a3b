// Package browsertest holds the tests of the tracker script
// (static/tracking.js) in headless Chromium, against a stub tracker server
// and merchant pages on another origin, and the conversion command (pages
// written as Trackdesk's examples are) against the real server. It has no production code; the
// browser helpers it uses are in server/testkit/browser.
package browsertest
