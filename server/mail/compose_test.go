package mail_test

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/mail"
)

// Every mail's HTML escapes every field it shows (a name, a program, an
// amount … stored by someone else), and its text carries the link.
func TestComposeEscapesEveryField(t *testing.T) {
	const evil = `<img src=x onerror="alert(1)">&'`
	const link = "https://tracklane.test/p/acme/x?token=t0k&y=<1>"
	for _, tc := range []struct {
		kind mail.Kind
		data mail.Data
	}{
		{mail.KindInvitation, mail.InvitationData{Program: evil, Name: evil, Link: link}},
		{mail.KindApplicationReceived, mail.ApplicationReceivedData{Program: evil, Name: evil, Email: evil, Link: link}},
		{mail.KindApplicationApproved, mail.ApplicationApprovedData{Program: evil, Name: evil, Link: link}},
		{mail.KindMemberApplied, mail.MemberAppliedData{Program: evil, Link: link}},
		{mail.KindPasswordReset, mail.PasswordResetData{Name: evil, Link: link, Valid: evil}},
		{mail.KindPayoutPaid, mail.PayoutPaidData{Program: evil, Name: evil, Amount: evil, Reference: evil, Link: link}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			m, err := mail.Compose(tc.kind, " someone@example.test ", "Line one\r\nBcc: x@evil.test", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || m.To != "someone@example.test" || m.Link != link {
				t.Errorf("message = %+v", m)
			}
			if m.Subject != "Line one Bcc: x@evil.test" {
				t.Errorf("subject keeps its line break: %q", m.Subject)
			}
			if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<1>") || !strings.Contains(m.HTML, "&lt;img") {
				t.Errorf("HTML does not escape a field:\n%s", m.HTML)
			}
			if !strings.Contains(m.Text, link) {
				t.Errorf("text lacks the link:\n%s", m.Text)
			}
			if !strings.Contains(m.HTML, `href="https://tracklane.test/p/acme/x?token=t0k&amp;y=%3c1%3e"`) {
				t.Errorf("HTML lacks the link as an escaped href:\n%s", m.HTML)
			}
		})
	}
}

// A javascript: link is never made clickable.
func TestComposeRefusesScriptLinks(t *testing.T) {
	m, err := mail.Compose(mail.KindInvitation, "a@example.test", "Join", mail.InvitationData{Program: "P", Name: "N", Link: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("HTML links to javascript:\n%s", m.HTML)
	}
}

func TestComposeUnknownKind(t *testing.T) {
	if _, err := mail.Compose("nope", "a@example.test", "x", mail.MemberAppliedData{}); err == nil {
		t.Error("an unknown kind composed")
	}
}
