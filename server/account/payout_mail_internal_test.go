package account

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The payout mail goes to the payout email, else the login email, and
// escapes every typed field in its HTML body.
func TestPayoutPaidMail(t *testing.T) {
	ten := tracklane.Tenant{ID: "tn_1", Name: "Shop <script>"}
	aff := tracklane.Affiliate{Name: `Eve "<b>"`, Email: "eve@partners.example"}
	p := tracklane.Payout{ID: "po_1", Amount: 1250, Currency: "usd", Reference: "<img src=x>", ConversionIDs: []string{"cv_1", "cv_2"},
		Adjustments: []tracklane.PayoutAdjustment{{ConversionID: "cv_0", Amount: -300, Reason: "clawback: fully refunded"}}}
	m := payoutPaidMail(ten, p, aff, "https://t.example/p/shop/payouts")
	if m.To != "eve@partners.example" || m.Kind != mail.KindPayoutPaid || m.TenantID != "tn_1" {
		t.Errorf("mail %+v", m)
	}
	for _, bad := range []string{"<script>", "<b>", "<img"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML body carries %q unescaped:\n%s", bad, m.HTML)
		}
	}
	for _, want := range []string{"$12.50", "2 conversion(s)", "-$3.00", "Reference: <img src=x>", "po_1", "See your payouts: https://t.example/p/shop/payouts"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text body lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "&lt;img src=x&gt;") || !strings.Contains(m.Subject, "$12.50") {
		t.Errorf("html %s / subject %s", m.HTML, m.Subject)
	}
	p.PayoutEmail = "eve.paypal@partners.example"
	if m := payoutPaidMail(ten, p, aff, "https://t.example/p/shop/payouts"); m.To != "eve.paypal@partners.example" {
		t.Errorf("to %s, want the payout email", m.To)
	}
}
