package fakestripe

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/testkit/stripemock"
)

// lastEvent returns the newest event of account as a map.
func lastEvent(t *testing.T, s *Server, account string) map[string]any {
	t.Helper()
	evs := s.Events(account)
	var e map[string]any
	if err := json.Unmarshal(evs[0], &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func dataObject(e map[string]any) map[string]any {
	return e["data"].(map[string]any)["object"].(map[string]any)
}

func TestCaptureLater(t *testing.T) {
	s := newServer(t)
	const acct = "acct_capture"
	ch := s.AuthorizeCharge(acct, false, ChargeParams{BillingEmail: "a@example.com", Amount: 10000, At: t0})
	e := lastEvent(t, s, acct)
	if c := dataObject(e); e["type"] != "charge.succeeded" || c["captured"] != false || c["amount_captured"] != float64(0) {
		t.Fatalf("authorised: %v %v", e["type"], c)
	}
	_, pi := getRaw(t, s, testKey, acct, "/v1/payment_intents/"+s.PaymentIntentOf(acct, ch))
	if pi["capture_method"] != "manual" {
		t.Errorf("payment intent capture_method %v", pi["capture_method"])
	}
	s.CaptureCharge(acct, ch, 6000, t0.Add(time.Hour))
	e = lastEvent(t, s, acct)
	if c := dataObject(e); e["type"] != "charge.captured" || c["captured"] != true || c["amount_captured"] != float64(6000) ||
		c["amount_refunded"] != float64(4000) || c["refunded"] != false {
		t.Errorf("partly captured: %v %v", e["type"], c)
	}
	if len(s.RefundsOf(acct, ch)) != 1 {
		t.Errorf("the released rest is not a refund: %v", s.RefundsOf(acct, ch))
	}

	never := s.AuthorizeCharge(acct, false, ChargeParams{Amount: 500, At: t0})
	s.ReleaseAuthorization(acct, never, t0.Add(time.Hour))
	e = lastEvent(t, s, acct)
	if c := dataObject(e); e["type"] != "charge.refunded" || c["captured"] != false || c["amount_captured"] != float64(0) || c["refunded"] != true {
		t.Errorf("released: %v %v", e["type"], c)
	}
}

func TestRefundFailsOrIsCancelled(t *testing.T) {
	s := newServer(t)
	const acct = "acct_refund_fail"
	cus := s.CreateCustomer(acct, false, "b@example.com", t0)
	_, ch := s.PayInvoice(acct, false, InvoiceParams{Customer: cus, AmountPaid: 5000, At: t0})
	re := s.Refund(acct, ch, 2000, t0.Add(time.Hour))
	s.FailRefund(acct, re, "", t0.Add(2*time.Hour))
	e := lastEvent(t, s, acct)
	if r := dataObject(e); e["type"] != "charge.refund.updated" || r["status"] != "failed" || r["failure_reason"] != "expired_or_canceled_card" ||
		r["charge"] != ch || r["amount"] != float64(2000) {
		t.Errorf("failed refund: %v %v", e["type"], r)
	}
	if _, c := getRaw(t, s, testKey, acct, "/v1/charges/"+ch); c["amount_refunded"] != float64(0) {
		t.Errorf("charge after the failed refund: %v", c["amount_refunded"])
	}
	re2 := s.Refund(acct, ch, 1000, t0.Add(3*time.Hour))
	s.CancelRefund(acct, re2, t0.Add(4*time.Hour))
	if r := dataObject(lastEvent(t, s, acct)); r["status"] != "canceled" {
		t.Errorf("cancelled refund: %v", r)
	}
}

func TestCreditNotesBothShapes(t *testing.T) {
	for _, sh := range []Shape{Shape2023, ShapeNew} {
		s := newServer(t)
		const acct = "acct_cn"
		s.SetShape(acct, sh)
		cus := s.CreateCustomer(acct, false, "c@example.com", t0)
		inv, ch := s.PayInvoice(acct, false, InvoiceParams{Customer: cus, AmountPaid: 10000, At: t0})
		cn := s.CreateCreditNote(acct, inv, CreditNoteParams{Refund: 2000, Credit: 1500, OutOfBand: 500, At: t0.Add(time.Hour)})
		e := lastEvent(t, s, acct)
		n := dataObject(e)
		if e["type"] != "credit_note.created" || n["amount"] != float64(4000) || n["invoice"] != inv || n["type"] != "post_payment" ||
			n["status"] != "issued" || n["out_of_band_amount"] != float64(500) {
			t.Errorf("%s: credit note %v", sh, n)
		}
		refunds := s.RefundsOf(acct, ch)
		if len(refunds) != 1 {
			t.Fatalf("%s: the refund part made no refund", sh)
		}
		if sh == ShapeNew {
			rs, _ := n["refunds"].([]any)
			if _, has := n["refund"]; has || len(rs) != 1 || rs[0].(map[string]any)["amount_refunded"] != float64(2000) || n["post_payment_amount"] != float64(4000) {
				t.Errorf("new shape: %v", n)
			}
		} else {
			if n["refund"] != refunds[0] {
				t.Errorf("2023: refund %v", n["refund"])
			}
			code, full := getRaw(t, s, testKey, acct, "/v1/credit_notes/"+cn+"?expand[]=refund")
			if r, _ := full["refund"].(map[string]any); code != 200 || r["amount"] != float64(2000) {
				t.Errorf("2023 expanded: %d %v", code, full["refund"])
			}
		}
		s.VoidCreditNote(acct, cn, t0.Add(2*time.Hour))
		if e := lastEvent(t, s, acct); e["type"] != "credit_note.voided" || dataObject(e)["status"] != "void" {
			t.Errorf("%s: voided %v", sh, e)
		}
		if u := s.Unexpected(); len(u) != 0 {
			t.Errorf("%s: unexpected %v", sh, u)
		}
	}
}

func TestInvoicePaymentPaidInNewShapeOnly(t *testing.T) {
	for _, sh := range []Shape{Shape2023, ShapeNew} {
		s := newServer(t)
		const acct = "acct_inpay"
		s.SetShape(acct, sh)
		cus := s.CreateCustomer(acct, false, "d@example.com", t0)
		inv, ch := s.PayInvoice(acct, false, InvoiceParams{Customer: cus, AmountPaid: 700, At: t0})
		e := lastEvent(t, s, acct)
		if sh == Shape2023 {
			if e["type"] == "invoice_payment.paid" {
				t.Error("2023-10-16 has no invoice_payment.paid")
			}
			continue
		}
		ip := dataObject(e)
		pay, _ := ip["payment"].(map[string]any)
		if e["type"] != "invoice_payment.paid" || ip["invoice"] != inv || pay["payment_intent"] != s.PaymentIntentOf(acct, ch) || ip["status"] != "paid" {
			t.Errorf("invoice payment %v %v", e["type"], ip)
		}
	}
}

func TestRefuseLookups(t *testing.T) {
	s := newServer(t)
	const acct = "acct_refuse"
	cus := s.CreateCustomer(acct, false, "e@example.com", t0)
	s.RefuseLookups(Refusal{PathPrefix: "/v1/customers/"})
	if code, body := getRaw(t, s, testKey, acct, "/v1/customers/"+cus); code != 403 || body["error"] == nil {
		t.Errorf("refused: %d %v", code, body)
	}
	s.RefuseLookups(Refusal{PathPrefix: "/v1/credit_notes/", Status: 400, Message: "This property cannot be expanded (refund)."})
	if code, _ := getRaw(t, s, testKey, acct, "/v1/credit_notes/cn_x"); code != 400 {
		t.Errorf("400 refusal: %d", code)
	}
	s.AllowLookups("/v1/customers/")
	if code, _ := getRaw(t, s, testKey, acct, "/v1/customers/"+cus); code != 200 {
		t.Errorf("allowed again: %d", code)
	}
	if len(s.Unexpected()) != 0 {
		t.Errorf("refusals counted as unexpected: %v", s.Unexpected())
	}
}

// The new route, with and without its expansion, is valid for Stripe.
func TestCreditNoteRouteValidAgainstStripeMock(t *testing.T) {
	mock := stripemock.Start(t)
	s := newServer(t)
	const acct = "acct_cn_mock"
	cus := s.CreateCustomer(acct, false, "f@example.com", t0)
	inv, _ := s.PayInvoice(acct, false, InvoiceParams{Customer: cus, AmountPaid: 900, At: t0})
	cn := s.CreateCreditNote(acct, inv, CreditNoteParams{Refund: 300, At: t0})
	for _, q := range []string{"", "?expand[]=refund", "?expand[0]=refund"} {
		if code, _ := getRaw(t, s, testKey, acct, "/v1/credit_notes/"+cn+q); code != 200 {
			t.Errorf("fake: %s %d", q, code)
		}
		req, _ := http.NewRequest(http.MethodGet, mock+"/v1/credit_notes/"+cn+q, nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		req.Header.Set("Stripe-Account", acct)
		req.Header.Set("Stripe-Version", "2023-10-16")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("stripe-mock refused %s: %d %s", q, resp.StatusCode, body)
		}
	}
}
