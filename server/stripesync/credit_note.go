package stripesync

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/tracklane/tracklane/server/tracklane"
)

// creditNote reads a credit note (credit_note.created, credit_note.voided):
// the part of its post-payment amount not paid back as a refund lowers the
// invoice's conversion, tax included as a refund's does; that refund is
// counted once, by the charge it refunded. A 2023-10-16 note names its
// refund by id only: the note is read again with the refund expanded
// (its amount never changes, and the event is read once). A void note
// lowers nothing and needs no lookup.
func (in *interpreter) creditNote(ctx context.Context, ev Event, se *tracklane.StripeEvent) error {
	var cn creditNoteObject
	if json.Unmarshal(ev.Data.Object, &cn) != nil || cn.ID == "" || cn.Invoice == "" {
		return nil
	}
	fact := &tracklane.CreditNoteFact{CreditNoteID: cn.ID, InvoiceID: string(cn.Invoice), Void: cn.Status == "void"}
	se.CreditNote = fact
	post := cn.postPayment()
	if fact.Void || post == 0 {
		return nil
	}
	refunded, known := cn.refunded()
	if !known {
		if in.client == nil {
			return errNoClient(in.conn.Livemode)
		}
		raw, err := in.client.Get(ctx, in.conn.AccountID, "credit_notes/"+cn.ID, "refund")
		if errors.Is(err, errMissing) {
			// Gone: count none of it here rather than twice.
			return nil
		}
		if err != nil {
			return err
		}
		var full creditNoteObject
		if json.Unmarshal(raw, &full) != nil {
			return nil
		}
		refunded = full.Refund.Amount
		if !full.Refund.Expanded {
			refunded = post // Stripe did not expand it: never count a refund twice
		}
	}
	fact.Unrefunded = max(post-refunded, 0)
	return nil
}
