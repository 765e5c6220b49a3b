package stripesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"

	"github.com/tracklane/tracklane/server/apperr"
)

// Client reads a connected account's data with the platform key of one mode
// (live or test), through stripe-go v76 with its own retries switched off:
// the client retries 429s, 5xx answers, network errors and cut-off bodies
// itself, with exponential backoff and jitter, and stops at once on answers
// that retrying cannot fix (401, 403, 404, 400).
type Client struct {
	backend stripe.Backend
	key     string
	// platform is the account the key belongs to, once learned (see
	// PlatformAccount); calls for it go without Stripe-Account.
	platformMu sync.Mutex
	platform   string
	// Attempts is how many times a call is tried (≥ 1); Backoff the first
	// pause, doubled after each failure.
	Attempts int
	Backoff  time.Duration
}

// ClientOptions configures NewClient.
type ClientOptions struct {
	Key      string        // the platform secret key (sk_live_… or sk_test_…)
	BaseURL  string        // STRIPE_API_BASE; "" = Stripe's own
	Timeout  time.Duration // per request; 0 = 30 s
	Attempts int           // 0 = 4
	Backoff  time.Duration // 0 = 250 ms
}

// NewClient returns a Client.
func NewClient(o ClientOptions) *Client {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Attempts == 0 {
		o.Attempts = 4
	}
	if o.Backoff == 0 {
		o.Backoff = 250 * time.Millisecond
	}
	cfg := &stripe.BackendConfig{
		MaxNetworkRetries: stripe.Int64(0),
		HTTPClient:        &http.Client{Timeout: o.Timeout},
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	}
	if o.BaseURL != "" {
		cfg.URL = stripe.String(strings.TrimRight(o.BaseURL, "/"))
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
	return &Client{
		backend:  b,
		key:      o.Key,
		Attempts: o.Attempts,
		Backoff:  o.Backoff,
	}
}

// eventQuery selects one page of events.
type eventQuery struct {
	Types         []string
	StartingAfter string // newest-first paging
	EndingBefore  string // the page just newer than this event, oldest first
	CreatedGTE    int64
	Limit         int64
}

// errCursorGone: Stripe no longer knows the event used as a cursor.
var errCursorGone = errors.New("stripe no longer knows the cursor event")

// errMissing: the object does not exist (deleted, or never did).
var errMissing = errors.New("no such stripe object")

// eventPage is a list of events as Stripe sends it.
type eventPage struct {
	stripe.APIResource
	HasMore bool    `json:"has_more"`
	Data    []Event `json:"data"`
}

// Events returns one page of the account's events and whether more follow.
// With EndingBefore the page is in chronological order (Stripe answers
// newest first; the page is reversed); otherwise newest first.
func (c *Client) Events(ctx context.Context, account string, q eventQuery) ([]Event, bool, error) {
	var out []Event
	var more bool
	err := c.retry(ctx, func() error {
		p := c.params(ctx, account)
		f := &form.Values{}
		for i, t := range q.Types {
			f.Add(fmt.Sprintf("types[%d]", i), t)
		}
		f.Add("limit", fmt.Sprint(q.Limit))
		if q.StartingAfter != "" {
			f.Add("starting_after", q.StartingAfter)
		}
		if q.EndingBefore != "" {
			f.Add("ending_before", q.EndingBefore)
		}
		if q.CreatedGTE > 0 {
			f.Add("created[gte]", fmt.Sprint(q.CreatedGTE))
		}
		var page eventPage
		if err := c.backend.CallRaw(http.MethodGet, "/v1/events", c.key, f, p, &page); err != nil {
			return err
		}
		out = page.Data
		if q.EndingBefore != "" {
			slices.Reverse(out)
		}
		more = page.HasMore
		return nil
	})
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusBadRequest && se.Code == stripe.ErrorCodeResourceMissing {
		return nil, false, errCursorGone
	}
	return out, more, err
}

// rawObject keeps an object's raw JSON (stripe-go sets LastResponse).
type rawObject struct {
	stripe.APIResource
}

// Get fetches one object by path ("customers/cus_…") as raw JSON.
func (c *Client) Get(ctx context.Context, account, path string, expand ...string) (json.RawMessage, error) {
	var raw json.RawMessage
	var last error // Stripe's own answer, before classify
	err := c.retry(ctx, func() error {
		p := c.params(ctx, account)
		f := &form.Values{}
		for _, e := range expand {
			f.Add("expand[]", e)
		}
		var obj rawObject
		if err := c.backend.CallRaw(http.MethodGet, "/v1/"+path, c.key, f, p, &obj); err != nil {
			last = err
			return err
		}
		if obj.LastResponse == nil {
			return fmt.Errorf("empty answer")
		}
		raw = obj.LastResponse.RawJSON
		return nil
	})
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return nil, errMissing
	}
	return raw, refusedLookupOf("GET /v1/"+path, last, err)
}

// invoiceSummary is what a list of invoices says about each.
type invoiceSummary struct {
	ID     string
	Charge string // the charge that paid it, as a 2023-10-16 answer names it
}

// Invoices lists a customer's invoices created in [from, to] (0: no
// bound), every page of them.
func (c *Client) Invoices(ctx context.Context, account, customer string, from, to int64) ([]invoiceSummary, error) {
	var out []invoiceSummary
	after := ""
	for {
		var page []invoiceSummary
		more := false
		var last error // Stripe's own answer, before classify
		err := c.retry(ctx, func() error {
			p := c.params(ctx, account)
			f := &form.Values{}
			f.Add("customer", customer)
			if from > 0 {
				f.Add("created[gte]", fmt.Sprint(from))
			}
			if to > 0 {
				f.Add("created[lte]", fmt.Sprint(to))
			}
			f.Add("limit", "100")
			if after != "" {
				f.Add("starting_after", after)
			}
			var list struct {
				stripe.APIResource
				HasMore bool `json:"has_more"`
				Data    []struct {
					ID     string `json:"id"`
					Charge ref    `json:"charge"`
				} `json:"data"`
			}
			if err := c.backend.CallRaw(http.MethodGet, "/v1/invoices", c.key, f, p, &list); err != nil {
				last = err
				return err
			}
			page, more = page[:0], list.HasMore
			for _, d := range list.Data {
				page = append(page, invoiceSummary{ID: d.ID, Charge: string(d.Charge)})
			}
			return nil
		})
		if err != nil {
			return nil, refusedLookupOf("GET /v1/invoices", last, err)
		}
		out = append(out, page...)
		if !more || len(page) == 0 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// retry runs call until it succeeds, fails for good, or attempts run out.
func (c *Client) retry(ctx context.Context, call func() error) error {
	pause := c.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		err = call()
		if err == nil || !retryable(err) || attempt >= c.Attempts || ctx.Err() != nil {
			break
		}
		jitter := time.Duration(rand.Int64N(int64(pause)/2 + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause + jitter):
		}
		pause *= 2
	}
	return classify(ctx, err)
}

// retryable: rate limits, Stripe's 5xx, and transport or decoding failures
// (timeouts, connections cut, bodies cut short) may pass on a retry.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		return se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500 || se.HTTPStatusCode == 0
	}
	return true
}

// classify turns what is left after retries into an application error the
// app and the dashboard can show.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
			return &accessError{stripeMsg: se.Msg}
		case se.HTTPStatusCode == http.StatusNotFound || (se.HTTPStatusCode == http.StatusBadRequest && se.Code == stripe.ErrorCodeResourceMissing):
			return err
		case se.HTTPStatusCode == http.StatusTooManyRequests:
			return apperr.Errorf(apperr.BadGateway, "Stripe rate limit: still refused after retries")
		default:
			return apperr.Errorf(apperr.BadGateway, "Stripe answered %d: %s", se.HTTPStatusCode, se.Msg)
		}
	}
	// The caller's own cancellation passes through; an HTTP client
	// time-out (which also wraps DeadlineExceeded) is Stripe not answering.
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	return apperr.Errorf(apperr.BadGateway, "could not read from Stripe: %v", err)
}

// accessError: Stripe refused the platform key (401: a rolled or deleted
// key; 403: an account the key may not read — the app uninstalled there, a
// sandbox served by another key, a missing permission). Retrying within a
// check will not help, but it is never taken for an uninstall: only
// account.application.deauthorized is one. The connection stays connected
// and is tried again at every check.
type accessError struct {
	stripeMsg string // Stripe's own words
}

func (e *accessError) Error() string { return "Stripe refused access: " + e.stripeMsg }

// Unwrap makes an accessError a bad_gateway application error.
func (e *accessError) Unwrap() error { return apperr.Errorf(apperr.BadGateway, "%s", e.Error()) }
