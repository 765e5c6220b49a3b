package conversion

import "time"

// ChargeRefunds is what is known of one charge's money going back: its
// latest payload's amount_refunded, and the refunds known by id. Refunded
// decides what of it counts.
type ChargeRefunds struct {
	Amount int64 // authorised
	// Captured is what was captured; -1 when unknown (all of Amount). A
	// partial capture releases the rest, which Stripe records as refunded.
	Captured int64
	// Seen is amount_refunded as the charge's latest payload showed it, at
	// SeenAt (that event's time; zero when no payload's time is known).
	Seen    int64
	SeenAt  time.Time
	Refunds []Refund
}

// Refund is one refund of a charge, by its id.
type Refund struct {
	Amount int64
	Failed bool      // failed or cancelled: nothing went back
	At     time.Time // when its status was last seen to change
}

// Refunded is how much of the captured amount went back to the customer.
// Each refund counts once. A refund that fails or is cancelled stops
// counting: Stripe takes it off the charge's amount_refunded (the charge
// can be refunded again), so it is taken off a payload seen before it
// failed, not off a later one. Refunds known by id count in full where a
// payload shows less. What a partial capture released is not a refund of
// the payment.
func (c ChargeRefunds) Refunded() int64 {
	n := c.Seen
	var live int64
	for _, r := range c.Refunds {
		switch {
		case !r.Failed:
			live += r.Amount
		case !r.At.Before(c.SeenAt):
			n -= r.Amount
		}
	}
	n = max(n, live)
	if c.Captured >= 0 && c.Captured < c.Amount {
		n -= c.Amount - c.Captured
	}
	return max(n, 0)
}
