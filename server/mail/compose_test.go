package mail_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/mail"
)

// Every mail's HTML escapes every field it shows (a name, a program, an
// amount … stored by someone else), its text shows each as typed, its
// subject is one line, and both bodies carry the link.
func TestComposeEscapesEveryField(t *testing.T) {
	const link = "https://tracklane.test/p/acme/x?token=t0k&y=<1>"
	// evil is a field's value: markup that names the field, so a field
	// left out of a body (or left unescaped) is seen.
	evil := func(field string) string { return `<img src=x alt="` + field + `">&'` }
	for _, tc := range []struct {
		kind   mail.Kind
		data   mail.Data
		fields []string
	}{
		{mail.KindInvitation, mail.InvitationData{Program: evil("program"), Name: evil("name"), Link: link, Valid: evil("valid")},
			[]string{"program", "name", "valid"}},
		{mail.KindApplicationReceived, mail.ApplicationReceivedData{Program: evil("program"), Name: evil("name"), Email: evil("email"), Link: link},
			[]string{"program", "name", "email"}},
		{mail.KindApplicationApproved, mail.ApplicationApprovedData{Program: evil("program"), Name: evil("name"), Link: link},
			[]string{"program", "name"}},
		{mail.KindMemberApplied, mail.MemberAppliedData{Program: evil("program"), Link: link}, []string{"program"}},
		{mail.KindPasswordReset, mail.PasswordResetData{Program: evil("program"), Name: evil("name"), Email: evil("email"), Link: link, Valid: evil("valid")},
			[]string{"program", "name", "email", "valid"}},
		{mail.KindPayoutPaid, mail.PayoutPaidData{Program: evil("program"), Name: evil("name"), Amount: evil("amount"), Adjustments: evil("adjustments"),
			Reference: evil("reference"), PayoutID: evil("payout"), Conversions: 3, Link: link},
			[]string{"program", "name", "amount", "adjustments", "reference", "payout"}},
		{mail.KindConfirmEmail, mail.ConfirmEmailData{Program: evil("program"), Link: link, Valid: evil("valid")}, []string{"program", "valid"}},
		{mail.KindPayoutEmailChanged, mail.PayoutEmailChangedData{Program: evil("program"), Name: evil("name"), By: evil("by"),
			Old: evil("old"), New: evil("new"), Link: link}, []string{"program", "name", "by", "old", "new"}},
		{mail.KindPayoutEmailChanged, mail.PayoutEmailChangedData{Program: evil("program"), Name: evil("name"), By: evil("by"),
			Old: evil("old"), Link: link}, []string{"program", "name", "by", "old"}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			m, err := mail.Compose(tc.kind, " someone@example.test ", "Line one\r\nBcc: x@evil.test\x00\x1b", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || m.To != "someone@example.test" || m.Link != link {
				t.Errorf("message = %+v", m)
			}
			if m.Subject != "Line one Bcc: x@evil.test" {
				t.Errorf("subject is not one clean line: %q", m.Subject)
			}
			if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<1>") {
				t.Errorf("HTML does not escape a field:\n%s", m.HTML)
			}
			for _, f := range tc.fields {
				if !strings.Contains(m.HTML, `&lt;img src=x alt=&#34;`+f+`&#34;&gt;&amp;&#39;`) {
					t.Errorf("HTML lacks the %s, escaped:\n%s", f, m.HTML)
				}
				if !strings.Contains(m.Text, evil(f)) {
					t.Errorf("text lacks the %s:\n%s", f, m.Text)
				}
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

// A subject is capped (a long stored name cannot make a huge header).
func TestComposeCapsTheSubject(t *testing.T) {
	m, err := mail.Compose(mail.KindMemberApplied, "a@example.test", strings.Repeat("é", 500), mail.MemberAppliedData{Program: "P", Link: "https://x.test"})
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(m.Subject); n != 200 {
		t.Errorf("subject of %d runes, want 200", n)
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

// The cap on one recipient holds the mails a stranger or a repeated
// invitation can cause, never those of a merchant's decision or a payment.
func TestCappedKinds(t *testing.T) {
	for kind, capped := range map[mail.Kind]bool{
		mail.KindInvitation: true, mail.KindPasswordReset: true, mail.KindMemberApplied: true, mail.KindConfirmEmail: true,
		mail.KindApplicationReceived: true,
		mail.KindApplicationApproved: false, mail.KindPayoutPaid: false, mail.KindPayoutEmailChanged: false,
	} {
		if kind.Capped() != capped {
			t.Errorf("%s: capped %v, want %v", kind, kind.Capped(), capped)
		}
	}
}
