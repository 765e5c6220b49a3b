package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// applyWorld is a tenant with one affiliate, one click linked to an email,
// and a live Stripe connection: what attributing a payment needs.
type applyWorld struct {
	st    *store.Store
	conn  tracklane.StripeConnection
	email string
	click time.Time
}

func newApplyWorld(b *testing.B) applyWorld {
	b.Helper()
	ctx := context.Background()
	st, _ := storetest.New(b)
	acc := account.Service{Store: st, BcryptCost: 4}
	t, err := acc.CreateTenant(ctx, account.NewTenantInput{Name: "Bench", Email: "owner@bench.example",
		Password: "correct horse battery", Website: "https://shop.example"})
	if err != nil {
		b.Fatal(err)
	}
	aff, err := acc.CreateAffiliate(ctx, t.Tenant.ID, account.AffiliateInput{Name: "Aff", Email: "aff@partners.example", Code: "bench-aff"})
	if err != nil {
		b.Fatal(err)
	}
	w := applyWorld{st: st, email: "customer@bench.example", click: time.Now().Add(-time.Hour).UTC()}
	cid := ident.ClickID()
	if err := st.InsertClicks(ctx, []tracklane.Click{{ID: cid, TenantID: t.Tenant.ID, AffiliateID: aff.ID, CreatedAt: w.click,
		LandingURL: "https://shop.example/", VisitorHash: []byte("visitor")}}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateLink(ctx, t.Tenant.ID, cid, w.email, ""); err != nil {
		b.Fatal(err)
	}
	if w.conn, err = st.Connect(ctx, t.Tenant.ID, "acct_bench", true, "usr_1", "…abcd"); err != nil {
		b.Fatal(err)
	}
	return w
}

// invoicePaid is the fact of an invoice.paid event of a new customer, as
// the sync engine hands it to the store (2023-10-16 shape: the invoice
// names its charge).
func invoicePaid(n int, email string, at time.Time) tracklane.StripeEvent {
	inv, ch, cus := fmt.Sprintf("in_b%07d", n), fmt.Sprintf("ch_b%07d", n), fmt.Sprintf("cus_b%07d", n)
	return tracklane.StripeEvent{
		ID: fmt.Sprintf("evt_b%07d", n), Type: "invoice.paid", Created: at, Livemode: true, Via: "check",
		Payment: &tracklane.PaymentFact{SourceID: inv, CustomerID: cus, Email: email, Amount: 5000, Currency: "usd",
			PaidAt: at, InvoiceID: inv, ChargeID: ch},
		Charge: &tracklane.ChargeFact{ChargeID: ch, InvoiceID: inv, CustomerID: cus},
	}
}

// BenchmarkApplyEvents measures attribution: store.ApplyEvents of
// invoice.paid events whose email is linked to a click (each creates a
// conversion with its history), alone and in pages of 100 as a check
// applies them; and of payments nobody is linked to (recorded, no
// conversion). ns/event is the cost per event.
func BenchmarkApplyEvents(b *testing.B) {
	for _, c := range []struct {
		name       string
		perCall    int
		attributed bool
	}{
		{"one-attributed", 1, true},
		{"page100-attributed", 100, true},
		{"page100-unattributed", 100, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := newApplyWorld(b)
			ctx := context.Background()
			paid := w.click.Add(30 * time.Minute)
			email := w.email
			if !c.attributed {
				email = "nobody@bench.example"
			}
			n, events := 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				page := make([]tracklane.StripeEvent, c.perCall)
				for i := range page {
					n++
					page[i] = invoicePaid(n, email, paid)
				}
				out, err := w.st.ApplyEvents(ctx, w.conn, page, nil)
				if err != nil {
					b.Fatal(err)
				}
				if want := 0; c.attributed && out.Created != c.perCall || !c.attributed && out.Created != want {
					b.Fatalf("created %d conversions from %d events", out.Created, c.perCall)
				}
				events += c.perCall
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}
