package conversion

// ChargeRefunds is what is known of one charge's money going back: the
// largest amount_refunded a payload showed, and the refunds known by id.
// Refunded decides what of it counts.
type ChargeRefunds struct {
	Amount int64 // authorised
	// Captured is what was captured; -1 when unknown (all of Amount). A
	// partial capture releases the rest, which Stripe records as refunded.
	Captured int64
	// Seen is the largest amount_refunded the charge was seen with.
	Seen    int64
	Refunds []Refund
}

// Refund is one refund of a charge, by its id.
type Refund struct {
	Amount int64
	Failed bool // failed or cancelled: nothing went back
}

// Refunded is how much of the captured amount went back to the customer.
// Each refund counts once: a charge's amount_refunded already holds its
// refunds, so the refunds known by id count only where they exceed it, and
// a refund that failed or was cancelled stops counting (whether or not a
// later payload still holds it, as the largest seen would). What a partial
// capture released is not a refund of the payment.
func (c ChargeRefunds) Refunded() int64 {
	var live, failed int64
	for _, r := range c.Refunds {
		if r.Failed {
			failed += r.Amount
		} else {
			live += r.Amount
		}
	}
	n := max(c.Seen-failed, live)
	if c.Captured >= 0 && c.Captured < c.Amount {
		n -= c.Amount - c.Captured
	}
	return max(n, 0)
}
