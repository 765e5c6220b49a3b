// Package programtest runs an affiliate program end to end, as a merchant
// and an affiliate do in their browsers: an application, its approval, the
// shared link, a sale in Stripe, the portal, a payout paid and mailed, and
// a refund clawed back from the next payout. Its tests use every part of
// the real server together (PostgreSQL, the fake Stripe, Mailpit,
// headless Chromium).
package programtest
