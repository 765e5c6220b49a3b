package stripesync

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tracklane/tracklane/server/tracklane"
)

// noLookups is a Store that knows nothing: the interpreter must cope.
type noLookups struct{ Store }

func (noLookups) ChargeLinks(context.Context, string, bool, []string, []string) (tracklane.ChargeLinks, error) {
	return tracklane.ChargeLinks{}, nil
}
func (noLookups) CustomerAttributed(context.Context, string, bool, string) (bool, error) {
	return true, nil // no customer fetches: the fuzzer has no Stripe
}

// FuzzInterpret feeds arbitrary event payloads, of every type the engine
// reads, through the interpreter: it must never panic, and amounts it
// accepts are never negative.
func FuzzInterpret(f *testing.F) {
	for _, seed := range []string{
		`{"id":"in_1","customer":"cus_1","customer_email":"A@B.C","amount_paid":1000,"tax":100,"currency":"USD","charge":"ch_1","subscription":{"id":"sub_1"}}`,
		`{"id":"in_2","customer":null,"amount_paid":500,"total_taxes":[{"amount":50}],"parent":{"subscription_details":{"subscription":"sub_2"}}}`,
		`{"id":"ch_1","invoice":null,"amount":700,"amount_captured":700,"billing_details":{"email":"x@y.z"},"paid":true}`,
		`{"id":"ch_2","amount":-5,"amount_refunded":99999999999,"customer":{"id":"cus_2"}}`,
		`{"id":"dp_1","charge":"ch_1","status":"lost"}`,
		`{"id":"sub_1","canceled_at":-1}`, `[]`, `"str"`, `{"amount_paid":"nope"}`, `{"tax":1e30}`,
		`{"id":"ch_3","invoice":null,"amount":900,"amount_captured":0,"captured":false,"paid":true,"refunds":{"data":[{"id":"re_1","amount":-3}]}}`,
		`{"id":"re_2","charge":"ch_1","amount":500,"status":"failed"}`,
		`{"id":"inpay_1","invoice":"in_1","status":"paid","payment":{"type":"payment_intent","payment_intent":"pi_1"}}`,
		`{"id":"cn_1","invoice":"in_1","amount":700,"type":"post_payment","status":"issued","refund":null,"out_of_band_amount":700}`,
		`{"id":"cn_2","invoice":"in_1","amount":700,"post_payment_amount":-1,"refunds":[{"amount_refunded":99999}],"status":"issued"}`,
	} {
		for _, typ := range []string{"invoice.paid", "charge.succeeded", "charge.captured", "charge.refunded", "charge.refund.updated",
			"charge.dispute.closed", "customer.subscription.deleted", "invoice_payment.paid", "credit_note.created", "credit_note.voided"} {
			f.Add(typ, seed)
		}
	}
	in := &interpreter{store: noLookups{}, conn: tracklane.StripeConnection{AccountID: "acct_fuzz"}}
	f.Fuzz(func(t *testing.T, typ, object string) {
		raw := Event{ID: "evt_fuzz", Type: typ, Created: 1700000000}
		raw.Data.Object = json.RawMessage(object)
		ev, err := in.interpret(context.Background(), raw)
		if err != nil {
			return // a look-up was needed and there is no Stripe here: refused, not applied
		}
		if p := ev.Payment; p != nil && (p.Amount < 0 || p.SourceID == "" && p.Amount > 0 && false) {
			t.Fatalf("negative amount from %s %s: %+v", typ, object, p)
		}
		for _, r := range ev.Refunds {
			if r.Amount < 0 {
				t.Fatalf("negative refund from %s %s: %+v", typ, object, r)
			}
		}
		if cn := ev.CreditNote; cn != nil && cn.Unrefunded < 0 {
			t.Fatalf("negative credit from %s %s: %+v", typ, object, cn)
		}
	})
}
