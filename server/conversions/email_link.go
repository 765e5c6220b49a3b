package conversions

import (
	"context"
	"time"

	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// LinkInput is the customer's email given on the thank-you page, to be
// linked to the visitor's click, its shape already checked by the edge.
type LinkInput struct {
	TenantID string
	CID      string // the visitor's click id
	Email    string // the customer's email, folded
	OriginID string // revenueOriginId; "" = the tenant's default
	// Trusted: sent with the tenant's personal token (the merchant's
	// server), so no fraud signal is looked for.
	Trusted bool
	// Visitor is the keyed hash of the browser that sent it
	// (tracking's visitor hash, keyed by the day); nil when Trusted.
	Visitor []byte
	// Network is the keyed hash of that browser's network (an IPv4 /24,
	// an IPv6 /64; tracking's network hash, keyed by the day), so that a
	// changed user agent does not dodge the signals; nil when Trusted.
	Network []byte
}

// linkWindow is how far back the fraud signals look for the same
// browser's and the same network's other links (LinkFacts' since).
const linkWindow = 24 * time.Hour

// LinkEmail links the customer's email to the tenant's click (the
// externalCid link that attributes the customer's later payments). Knowing
// a click id is the only credential a browser needs, so a browser's link
// is checked against the fraud signals (attribution.LinkFlags) and stored
// with the flags it raised, logged; a trusted one raises none. A click
// that is not the tenant's is not found; an origin of another tenant is
// unprocessable. The Notifier then hears of the link.
func (s Service) LinkEmail(ctx context.Context, in LinkInput) (tracklane.Link, error) {
	var by store.Linker
	if !in.Trusted {
		by = store.Linker{Visitor: in.Visitor, Network: in.Network}
	}
	facts, err := s.Store.LinkFacts(ctx, in.TenantID, in.CID, in.Email, by, s.Now().Add(-linkWindow))
	if err != nil {
		return tracklane.Link{}, err
	}
	facts.Trusted = in.Trusted
	flags := attribution.LinkFlags(facts)
	l, err := s.Store.CreateLinkFrom(ctx, in.TenantID, in.CID, in.Email, in.OriginID, by, flags)
	if err != nil {
		return tracklane.Link{}, err
	}
	if len(flags) > 0 && s.Log != nil {
		s.Log.WarnContext(ctx, "email link flagged", "tenant", in.TenantID, "flags", flags)
	}
	if s.Notifier != nil {
		s.Notifier.Linked(ctx, in.TenantID, in.Email)
	}
	return l, nil
}
