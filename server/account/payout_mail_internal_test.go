package account

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// The payout mail goes to the payout email, else the login email, says
// what was paid (amount, conversions, adjustments, reference, payout id),
// escapes every typed field in its HTML body, keeps its subject on one
// line and links to the portal's payouts page.
func TestPayoutPaidMail(t *testing.T) {
	ten := tracklane.Tenant{ID: "tn_1", Name: "Shop <script>\r\nBcc: x@evil.test"}
	aff := tracklane.Affiliate{Name: `Eve "<b>"`, Email: "eve@partners.example"}
	p := tracklane.Payout{ID: "po_1", Amount: 1250, Currency: "usd", Reference: "<img src=x>", ConversionIDs: []string{"cv_1", "cv_2"},
		Adjustments: []tracklane.PayoutAdjustment{{ConversionID: "cv_0", Amount: -300, Reason: "clawback: fully refunded"}}}
	const link = "https://t.example/p/shop/payouts"
	m, err := payoutPaidMail(ten, p, aff, link)
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "eve@partners.example" || m.Kind != mail.KindPayoutPaid || m.TenantID != "tn_1" || m.Link != link {
		t.Errorf("mail %+v", m)
	}
	for _, bad := range []string{"<script>", "<b>", "<img"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML body carries %q unescaped:\n%s", bad, m.HTML)
		}
	}
	for _, want := range []string{"$12.50", "2 conversion(s)", "-$3.00", "Reference: <img src=x>", "Payout: po_1", "See your payouts: " + link} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text body lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{"&lt;img src=x&gt;", "&lt;script&gt;", "Eve &#34;&lt;b&gt;&#34;", "-$3.00", "2 conversion(s)", "po_1", `href="` + link + `"`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML body lacks %q:\n%s", want, m.HTML)
		}
	}
	if m.Subject != "Shop <script> Bcc: x@evil.test paid you $12.50" {
		t.Errorf("subject %q, want one line", m.Subject)
	}
	p.PayoutEmail = "eve.paypal@partners.example"
	if m, err := payoutPaidMail(ten, p, aff, link); err != nil || m.To != "eve.paypal@partners.example" {
		t.Errorf("to %s (%v), want the payout email", m.To, err)
	}
}

// Without adjustments, reference or portal address the mail leaves those
// sentences (and the button) out.
func TestPayoutPaidMailBare(t *testing.T) {
	p := tracklane.Payout{ID: "po_2", Amount: 700, Currency: "eur", ConversionIDs: []string{"cv_1"}}
	m, err := payoutPaidMail(tracklane.Tenant{ID: "tn_1", Name: "Shop"}, p, tracklane.Affiliate{Name: "Ann", Email: "ann@example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"adjustments", "Reference", "See your payouts", "href"} {
		if strings.Contains(m.Text, absent) || strings.Contains(m.HTML, absent) {
			t.Errorf("mail says %q:\n%s\n%s", absent, m.Text, m.HTML)
		}
	}
	if !strings.Contains(m.Text, "1 conversion(s)") || !strings.Contains(m.Text, "Payout: po_2") {
		t.Errorf("text:\n%s", m.Text)
	}
}
