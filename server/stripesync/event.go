package stripesync

import (
	"encoding/json"
	"slices"

	"github.com/stripe/stripe-go/v76"
)

// Event is a Stripe event's envelope, the one shape both ways in share: a
// page of GET /v1/events holds a list of them, and a webhook delivers one.
// The object stays raw JSON: decoding only the fields the interpreter reads
// is much cheaper than stripe-go's full Event, and tolerates any API
// version.
type Event struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	// Account is the connected account the event happened on (set on
	// Connect events; empty on the platform's own).
	Account string `json:"account"`
	// APIVersion is the version the object is rendered in: the connected
	// account's (or the webhook endpoint's). The interpreter reads any; it
	// is kept for the logs.
	APIVersion string `json:"api_version"`
	Data       struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// decodeEvent reads one event as a webhook delivers it; ok is false when
// the body is not an event (not JSON of that shape, or no id or type).
func decodeEvent(body []byte) (ev Event, ok bool) {
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" {
		return Event{}, false
	}
	return ev, true
}

// DeauthorizedEvent is the event Stripe sends when the app is uninstalled
// from a connected account: the account is disconnected.
const DeauthorizedEvent = "account.application.deauthorized"

// WebhookAPIVersion is the API version to pin on every webhook endpoint:
// the one the server's requests speak (stripe-go v76). The server reads
// events of any version regardless; a pinned endpoint keeps its payloads
// from changing under it when Stripe's default moves on.
const WebhookAPIVersion = stripe.APIVersion

// WebhookEventTypes are the event types the webhook endpoints subscribe
// to: every type a check reads (EventTypes, the one list the sync and the
// operator's `stripe webhooks` share) and the uninstall. Sorted, without duplicates.
func WebhookEventTypes() []string {
	types := append(slices.Clone(EventTypes), DeauthorizedEvent)
	slices.Sort(types)
	return slices.Compact(types)
}

// handled reports whether the sync reads events of this type.
func handled(eventType string) bool { return slices.Contains(EventTypes, eventType) }
