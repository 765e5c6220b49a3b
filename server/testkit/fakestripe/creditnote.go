package fakestripe

import (
	"fmt"
	"strconv"
	"time"
)

// Credit notes of paid invoices (post_payment): what they give back is
// split between a refund of the invoice's charge, a credit to the
// customer's balance, and a credit outside Stripe. GET
// /v1/credit_notes/{id} serves them (with expand[]=refund in 2023-10-16).

type creditNote struct {
	id, invoice, customer, currency, number, refund string
	refundAmount, credit, outOfBand                 int64
	created, voidedAt                               int64
	balanceTx                                       string
	void                                            bool
}

func (cn *creditNote) amount() int64 { return cn.refundAmount + cn.credit + cn.outOfBand }

// CreditNoteParams describes a post-payment credit note, for
// CreateCreditNote; at least one part must be > 0.
type CreditNoteParams struct {
	// Refund is paid back to the card: a refund of the invoice's charge
	// (charge.refunded is emitted for it, before credit_note.created).
	Refund int64
	// Credit goes to the customer's balance.
	Credit int64
	// OutOfBand is credited outside Stripe.
	OutOfBand int64
	// At is when the note was issued.
	At time.Time
}

// CreateCreditNote issues a credit note on a paid invoice of account
// (either mode), emits credit_note.created and returns the cn_… id.
func (s *Server) CreateCreditNote(account, invoiceID string, p CreditNoteParams) string {
	if p.Refund < 0 || p.Credit < 0 || p.OutOfBand < 0 || p.Refund+p.Credit+p.OutOfBand == 0 {
		panic(fmt.Sprintf("fakestripe: CreateCreditNote: bad parts %+v", p))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pt, o := s.find(account, invoiceID, "invoice")
	inv := o.v.(*invoice)
	if p.Refund+p.Credit+p.OutOfBand > inv.amountPaid {
		panic(fmt.Sprintf("fakestripe: CreateCreditNote: %d is more than the %d paid", p.Refund+p.Credit+p.OutOfBand, inv.amountPaid))
	}
	notes := 0
	for _, x := range pt.objects {
		if cn, ok := x.v.(*creditNote); ok && cn.invoice == inv.id {
			notes++
		}
	}
	cn := &creditNote{id: s.id("cn_"), invoice: inv.id, customer: inv.customer, currency: inv.currency,
		number: inv.number + "-CN-" + strconv.Itoa(notes+1), refundAmount: p.Refund, credit: p.Credit, outOfBand: p.OutOfBand,
		created: p.At.Unix()}
	if p.Credit > 0 {
		cn.balanceTx = s.id("cbtxn_")
	}
	if p.Refund > 0 {
		if inv.charge == "" {
			panic("fakestripe: CreateCreditNote: a refund needs the invoice's charge")
		}
		s.mu.Unlock()
		cn.refund = s.Refund(account, inv.charge, p.Refund, p.At)
		s.mu.Lock()
	}
	co := s.add(pt, "credit_note", cn.id, p.At, cn)
	s.emit(pt, "credit_note.created", p.At, co, nil, true)
	return cn.id
}

// VoidCreditNote voids a credit note (status void) and emits
// credit_note.voided.
func (s *Server) VoidCreditNote(account, creditNoteID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, creditNoteID, "credit_note")
	cn := o.v.(*creditNote)
	if cn.void {
		panic(fmt.Sprintf("fakestripe: VoidCreditNote: %s is already void", creditNoteID))
	}
	cn.void, cn.voidedAt = true, at.Unix()
	s.emit(p, "credit_note.voided", at, o, map[string]any{"status": "issued", "voided_at": nil}, true)
}

func renderCreditNote(p *partition, v *creditNote, live bool, sh Shape, expandRefund bool) m {
	status := "issued"
	var voidedAt any
	if v.void {
		status, voidedAt = "void", v.voidedAt
	}
	amount := v.amount()
	r := m{
		"id":                           v.id,
		"object":                       "credit_note",
		"amount":                       amount,
		"amount_shipping":              0,
		"created":                      v.created,
		"currency":                     v.currency,
		"customer":                     v.customer,
		"customer_balance_transaction": strOrNil(v.balanceTx),
		"discount_amount":              0,
		"discount_amounts":             []any{},
		"effective_at":                 v.created,
		"invoice":                      v.invoice,
		"lines": m{
			"object": "list", "data": []any{}, "has_more": false,
			"url": "/v1/credit_notes/" + v.id + "/lines",
		},
		"livemode":               live,
		"memo":                   nil,
		"metadata":               m{},
		"number":                 v.number,
		"out_of_band_amount":     intOrNil(v.outOfBand),
		"pdf":                    "https://pay.stripe.com/credit_notes/acct_fake/" + v.id + "/pdf",
		"reason":                 nil,
		"shipping_cost":          nil,
		"status":                 status,
		"subtotal":               amount,
		"subtotal_excluding_tax": amount,
		"total":                  amount,
		"total_excluding_tax":    amount,
		"type":                   "post_payment",
		"voided_at":              voidedAt,
	}
	if sh == ShapeNew {
		refunds := []any{}
		if v.refund != "" {
			refunds = append(refunds, m{"amount_refunded": v.refundAmount, "refund": v.refund, "type": "refund", "payment_record_refund": nil})
		}
		r["refunds"] = refunds
		r["post_payment_amount"] = amount
		r["pre_payment_amount"] = 0
		r["total_taxes"] = []any{}
		r["pretax_credit_amounts"] = []any{}
		r["customer_account"] = nil
		return r
	}
	r["tax_amounts"] = []any{}
	var refund any
	if v.refund != "" {
		refund = v.refund
		if expandRefund {
			refund = renderRefund(p.objects[v.refund], sh)
		}
	}
	r["refund"] = refund
	return r
}
