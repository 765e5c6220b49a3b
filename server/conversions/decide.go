package conversions

import (
	"context"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Decision is the merchant's manual decision on a conversion; its value
// is what the conversion keeps as its manual status.
type Decision string

// The merchant's decisions (the dashboard's approve and reject buttons).
const (
	Approve Decision = conversion.ManualApproved // approved now, whatever the hold period or flags say
	Reject  Decision = conversion.ManualRejected // rejected, unless a rule rejects or refunds it first
	Undo    Decision = conversion.ManualNone     // the decision taken back: the rules alone decide again
)

// Decide records the merchant's decision on one of the tenant's
// conversions, Stripe's or the site's, and returns the conversion
// re-evaluated (conversion.Evaluate, EvaluateReported: a rejection over a
// paid commission records its clawback). Another tenant's conversion is
// not found; an unknown decision is invalid.
//
// The re-evaluation itself stays in the store
// (store.SetConversionManualStatus): it must run in the transaction that
// locks the conversion, and for Stripe's conversions it is the same
// evaluation loop that applies Stripe's events (the payment's whole
// snapshot — refunds, disputes, the subscription, the recurring rule — read
// and written under that lock). Moving it here means moving that loop out
// of the store for every Stripe event first.
func (s Service) Decide(ctx context.Context, tenantID, conversionID string, d Decision) (tracklane.Conversion, error) {
	switch d {
	case Approve, Reject, Undo:
	default:
		return tracklane.Conversion{}, apperr.Errorf(apperr.Invalid, "unknown decision %q", d)
	}
	return s.Store.SetConversionManualStatus(ctx, tenantID, conversionID, string(d))
}
