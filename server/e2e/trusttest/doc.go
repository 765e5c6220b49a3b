// Package trusttest replays, against the real wiring (apptest.New) and
// over HTTP as an outsider would, the attacks on reported conversions of
// the Trust issue (SPEC section 14): a browser that claims an order's
// externalId before the merchant's server reports it, a browser report
// sent after the trusted one, probes of customers' emails (externalCid)
// and of coupon codes, and a burst of browser reports meant to hold up
// the merchant's trusted reports. Each attack that worked once is a test
// that must find nothing now. It has no production code.
package trusttest
