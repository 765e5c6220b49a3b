package fakestripe

import "time"

// invoice_payment.paid (API versions from 2025-03-31.basil on, the fake's
// newer shape): which payment intent paid an invoice, now that neither
// names the other. Not served by GET: Tracklane reads them from events.

type invoicePayment struct {
	id, invoice, paymentIntent, currency string
	amount, created, paidAt              int64
}

// emitInvoicePayment emits invoice_payment.paid for an invoice paid with
// a charge, on an account rendered in the newer shape (2023-10-16 has no
// such event: the invoice names its charge).
func (s *Server) emitInvoicePayment(pt *partition, inv *invoice, at time.Time) {
	if s.shapes[pt.account] != ShapeNew || inv.paymentIntent == "" {
		return
	}
	ip := &invoicePayment{id: s.id("inpay_"), invoice: inv.id, paymentIntent: inv.paymentIntent, currency: inv.currency,
		amount: inv.amountPaid, created: inv.created, paidAt: at.Unix()}
	o := s.add(pt, "invoice_payment", ip.id, at, ip)
	s.emit(pt, "invoice_payment.paid", at, o, nil, false)
}

func renderInvoicePayment(v *invoicePayment, live bool) m {
	return m{
		"id":               v.id,
		"object":           "invoice_payment",
		"amount_paid":      v.amount,
		"amount_requested": v.amount,
		"created":          v.created,
		"currency":         v.currency,
		"invoice":          v.invoice,
		"is_default":       true,
		"livemode":         live,
		"payment":          m{"type": "payment_intent", "payment_intent": v.paymentIntent},
		"status":           "paid",
		"status_transitions": m{
			"canceled_at": nil,
			"paid_at":     v.paidAt,
		},
	}
}
