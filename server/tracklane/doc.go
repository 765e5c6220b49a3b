// Package tracklane holds the nouns of the product — a merchant (Tenant),
// its Affiliates, their Clicks, the Links of customer emails to clicks, the
// Conversions those earn, and the Stripe connections that feed them — with
// the one definition of how their identifiers and emails are written.
//
// It imports neither HTTP nor SQL: the edges (tracking, dashboard, api,
// stripesync, stripeapp) and the store speak in these types, and the pure
// rules (attribution, conversion) decide with them. Statuses of a
// conversion and its commission rule are values of package conversion,
// which this package builds on.
package tracklane
