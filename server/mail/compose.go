package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/tracklane/tracklane/server/oneline"
)

// The bodies of each Kind: templates/<kind>.txt and templates/<kind>.html,
// sharing layout.html's top and bottom. The HTML is html/template: every
// field is escaped for where it stands (text, attribute, URL).
//
//go:embed templates
var templateFiles embed.FS

type templateSet struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

// templates parses the embedded templates once; they are immutable.
var templates = sync.OnceValue(func() templateSet {
	return templateSet{
		html: htmltemplate.Must(htmltemplate.New("").Option("missingkey=error").ParseFS(templateFiles, "templates/*.html")),
		text: texttemplate.Must(texttemplate.New("").Option("missingkey=error").ParseFS(templateFiles, "templates/*.txt")),
	}
})

// Data is what a mail's templates read; each Kind has its own type below.
// MailLink is the mail's one action, kept as Message.Link.
type Data interface{ MailLink() string }

// InvitationData: an affiliate invited to the program (KindInvitation).
// Link sets the password and opens the portal; Valid says how long it
// works, once (e.g. "7 days"; "" leaves the sentence out).
type InvitationData struct{ Program, Name, Link, Valid string }

// ApplicationReceivedData: the merchant is told of an application
// (KindApplicationReceived). Link opens the affiliate in the dashboard.
type ApplicationReceivedData struct{ Program, Name, Email, Link string }

// ApplicationApprovedData: the affiliate is told the application was
// approved (KindApplicationApproved). Link is the portal's login.
type ApplicationApprovedData struct{ Program, Name, Link string }

// MemberAppliedData: someone applied with an address already in the
// program (KindMemberApplied). Link is the portal's login (or forgot page).
type MemberAppliedData struct{ Program, Link string }

// PasswordResetData: a password reset, merchant or affiliate
// (KindPasswordReset). Program names what the account is of ("Acme's
// affiliate program", "Tracklane (Acme)"); Email is the account's; Name
// greets them ("" for a plain "Hello,"). Link sets a new password; Valid
// says how long it works, once (e.g. "1 hour").
type PasswordResetData struct{ Program, Name, Email, Link, Valid string }

// PayoutPaidData: a payout was paid (KindPayoutPaid). Amount and
// Adjustments are already formatted for display ("$12.50", "-$3.00";
// Adjustments "" when the payout has none); Reference is the merchant's
// ("" leaves it out); PayoutID names the payout; Conversions is how many
// conversions it pays. Link is the portal's payouts page ("" when the
// program has no portal address: the mail then has no button).
type PayoutPaidData struct {
	Program, Name, Amount, Adjustments, Reference, PayoutID, Link string
	Conversions                                                   int
}

// ConfirmEmailData: an applicant of a program that approves
// automatically confirms their address (KindConfirmEmail). It carries
// nothing the applicant typed (the mail goes to an address they may not
// own). Link confirms and opens the portal; Valid says how long it works,
// once.
type ConfirmEmailData struct{ Program, Link, Valid string }

// PayoutEmailChangedData: the address payouts went to is told that they go
// elsewhere now (KindPayoutEmailChanged). By says who changed it ("you",
// "the merchant"); Old and New are the addresses (Old "" when none was
// set); Link is the portal's log-in.
type PayoutEmailChangedData struct{ Program, Name, By, Old, New, Link string }

func (d InvitationData) MailLink() string          { return d.Link }
func (d ConfirmEmailData) MailLink() string        { return d.Link }
func (d PayoutEmailChangedData) MailLink() string  { return d.Link }
func (d ApplicationReceivedData) MailLink() string { return d.Link }
func (d ApplicationApprovedData) MailLink() string { return d.Link }
func (d MemberAppliedData) MailLink() string       { return d.Link }
func (d PasswordResetData) MailLink() string       { return d.Link }
func (d PayoutPaidData) MailLink() string          { return d.Link }

// Compose builds the Message of kind to one recipient from the kind's
// templates: a plain-text body and an HTML body in which every field of
// data is escaped. subject is the caller's (one line; the SMTP transport
// encodes it). The caller sets TenantID and enqueues the message.
func Compose(kind Kind, to, subject string, data Data) (Message, error) {
	ts := templates()
	name := string(kind)
	if ts.html.Lookup(name+".html") == nil || ts.text.Lookup(name+".txt") == nil {
		return Message{}, fmt.Errorf("composing mail: no templates for kind %q", kind)
	}
	var text, html bytes.Buffer
	if err := ts.text.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return Message{}, fmt.Errorf("composing %s mail (text): %w", kind, err)
	}
	if err := ts.html.ExecuteTemplate(&html, name+".html", data); err != nil {
		return Message{}, fmt.Errorf("composing %s mail (HTML): %w", kind, err)
	}
	return Message{Kind: kind, To: strings.TrimSpace(to), Subject: subjectLine(subject),
		Text: text.String(), HTML: html.String(), Link: data.MailLink()}, nil
}

// subjectLine keeps a subject on one line of at most maxSubject runes
// whatever a stored name in it holds: no header injection, no control
// characters.
func subjectLine(s string) string {
	s = oneline.Clean(s)
	if r := []rune(s); len(r) > maxSubject {
		s = strings.TrimSpace(string(r[:maxSubject]))
	}
	return s
}

const maxSubject = 200
