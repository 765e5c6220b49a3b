package stripesync

import (
	"context"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v76"
)

// The platform account is the Stripe account whose keys the server holds.
// A merchant who self-hosts usually installs the app (uploaded privately)
// on that very account: its connection is then the platform's own. Stripe
// documents Stripe-Account for acting on *other* accounts and does not say
// whether one naming the key's own account is accepted, so calls for the
// platform's own account go without it, and its webhook events, which
// carry no "account", apply to its connection.

// PlatformAccount returns the id of the account this client's key belongs
// to: GET /v1/account without Stripe-Account, learned once and remembered
// (a key never changes account). A failure is not remembered: the next
// call asks again.
func (c *Client) PlatformAccount(ctx context.Context) (string, error) {
	c.platformMu.Lock()
	known := c.platform
	c.platformMu.Unlock()
	if known != "" {
		return known, nil
	}
	var acct struct {
		stripe.APIResource
		ID string `json:"id"`
	}
	err := c.retry(ctx, func() error {
		return c.backend.CallRaw(http.MethodGet, "/v1/account", c.key, nil, &stripe.Params{Context: ctx}, &acct)
	})
	if err != nil {
		return "", err
	}
	if acct.ID == "" {
		return "", fmt.Errorf("GET /v1/account answered no account id")
	}
	c.platformMu.Lock()
	c.platform = acct.ID
	c.platformMu.Unlock()
	return acct.ID, nil
}

// params are a call's parameters for account: with Stripe-Account, unless
// account is the platform's own (as far as it is known yet).
func (c *Client) params(ctx context.Context, account string) *stripe.Params {
	p := &stripe.Params{Context: ctx}
	c.platformMu.Lock()
	own := account == c.platform
	c.platformMu.Unlock()
	if !own {
		p.SetStripeAccount(account)
	}
	return p
}

// learnPlatform makes sure the client knows its platform account before a
// check or a pushed event calls Stripe. When Stripe cannot say now, the
// calls go out with Stripe-Account, as for any connected account: the
// check of another account is not held up by it, and the check's own
// calls report what is wrong (a refused key is refused there too).
func (e *Engine) learnPlatform(ctx context.Context, c *Client, livemode bool) {
	if _, err := c.PlatformAccount(ctx); err != nil && ctx.Err() == nil {
		e.log.WarnContext(ctx, "could not learn the Stripe platform account (GET /v1/account); calling with Stripe-Account",
			"mode", modeName(livemode), "err", err)
	}
}

// platformAccount is the platform account of a mode, for an event that
// names no account; ok is false when the mode has no platform key (no
// connection of that mode can be checked, and none is the platform's).
func (e *Engine) platformAccount(ctx context.Context, livemode bool) (account string, ok bool, err error) {
	c, err := e.client(livemode)
	if err != nil {
		return "", false, nil
	}
	account, err = c.PlatformAccount(ctx)
	if err != nil {
		return "", false, fmt.Errorf("learning the platform account (GET /v1/account): %w", err)
	}
	return account, true, nil
}

// logPlatformAccounts learns and logs each configured mode's platform
// account when the engine starts, so the operator sees which account's
// own install the server will serve without Stripe-Account.
func (e *Engine) logPlatformAccounts(ctx context.Context) {
	for _, livemode := range []bool{true, false} {
		c, err := e.client(livemode)
		if err != nil {
			continue
		}
		if account, err := c.PlatformAccount(ctx); err != nil {
			if ctx.Err() == nil {
				e.log.WarnContext(ctx, "could not learn the Stripe platform account (GET /v1/account); it is asked again when needed",
					"mode", modeName(livemode), "err", err)
			}
		} else {
			e.log.InfoContext(ctx, "stripe platform account", "mode", modeName(livemode), "account", account)
		}
	}
}

func modeName(livemode bool) string {
	if livemode {
		return "live"
	}
	return "test"
}
