package account

import (
	"bytes"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/tracklane/tracklane/server/mail"
)

// mailData is what a portal mail may say. Every field is stored or
// typed by someone (a program's name, an applicant's name): the HTML body
// is built with html/template, which escapes each one, and the text body
// is plain text.
type mailData struct {
	Program   string // the tenant's name
	Name      string // the affiliate's (or applicant's) name
	Email     string // the affiliate's (or applicant's) email
	Link      string // the one action of the mail
	ValidFor  string // how long Link works, in words
	PortalURL string
}

type mailTemplate struct {
	kind    mail.Kind
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func newMailTemplate(kind mail.Kind, subject, text, html string) mailTemplate {
	return mailTemplate{
		kind:    kind,
		subject: texttemplate.Must(texttemplate.New("s").Parse(subject)),
		text:    texttemplate.Must(texttemplate.New("t").Parse(text)),
		html:    htmltemplate.Must(htmltemplate.New("h").Parse(mailHTMLHead + html + mailHTMLFoot)),
	}
}

const mailHTMLHead = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2937;max-width:36rem;margin:0 auto;padding:1.5rem">`
const mailHTMLFoot = `<p style="color:#6b7280;font-size:.85rem">Sent by Tracklane for {{.Program}}.</p></body></html>`

// message renders t for one recipient of a tenant.
func (t mailTemplate) message(tenantID, to string, d mailData) mail.Message {
	var subj, text, html bytes.Buffer
	// The templates are fixed and the data plain strings: executing them
	// cannot fail short of a bug, which the tests of each mail would show.
	_ = t.subject.Execute(&subj, d)
	_ = t.text.Execute(&text, d)
	_ = t.html.Execute(&html, d)
	return mail.Message{TenantID: tenantID, Kind: t.kind, To: to, Subject: oneLine(subj.String()),
		Text: text.String(), HTML: html.String(), Link: d.Link}
}

// oneLine keeps a subject on one line whatever a stored name holds (no
// header injection).
func oneLine(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r == '\r' || r == '\n' || r < 0x20 {
			b[i] = ' '
		}
	}
	return capRunes(string(b), 200)
}

var (
	invitationMail = newMailTemplate(mail.KindInvitation,
		`{{.Program}} invites you to its affiliate program`,
		`Hello {{.Name}},

{{.Program}} has added you to its affiliate program. Choose a password to
open your affiliate portal (your link, your commissions, your payouts):

{{.Link}}

This link works once and for {{.ValidFor}}.
`,
		`<p>Hello {{.Name}},</p>
<p><strong>{{.Program}}</strong> has added you to its affiliate program. Choose a password to open your affiliate portal: your link, your commissions, your payouts.</p>
<p><a href="{{.Link}}" style="display:inline-block;background:#4f46e5;color:#fff;padding:.6rem 1rem;border-radius:.4rem;text-decoration:none">Set your password</a></p>
<p style="color:#6b7280">This link works once and for {{.ValidFor}}.</p>`)

	applicationReceivedMail = newMailTemplate(mail.KindApplicationReceived,
		`New affiliate application: {{.Name}}`,
		`{{.Name}} <{{.Email}}> applied to the affiliate program of {{.Program}}.

Review the application (approve or reject it) in your dashboard:

{{.Link}}
`,
		`<p><strong>{{.Name}}</strong> &lt;{{.Email}}&gt; applied to the affiliate program of {{.Program}}.</p>
<p><a href="{{.Link}}">Review the application</a> in your dashboard to approve or reject it.</p>`)

	applicationApprovedMail = newMailTemplate(mail.KindApplicationApproved,
		`You are in: {{.Program}}'s affiliate program`,
		`Hello {{.Name}},

{{.Program}} approved your application. Log in to your affiliate portal
to get your link:

{{.Link}}
`,
		`<p>Hello {{.Name}},</p>
<p><strong>{{.Program}}</strong> approved your application. <a href="{{.Link}}">Log in to your affiliate portal</a> to get your link.</p>`)

	memberAppliedMail = newMailTemplate(mail.KindMemberApplied,
		`Your application to {{.Program}}'s affiliate program`,
		`Hello,

Someone (perhaps you) applied to the affiliate program of {{.Program}}
with this email address, which is already in the program. Nothing was
changed. To log in, or to set a new password:

{{.Link}}

If it was not you, you can ignore this mail.
`,
		`<p>Hello,</p>
<p>Someone (perhaps you) applied to the affiliate program of <strong>{{.Program}}</strong> with this email address, which is already in the program. Nothing was changed.</p>
<p><a href="{{.Link}}">Log in, or set a new password</a>.</p>
<p style="color:#6b7280">If it was not you, you can ignore this mail.</p>`)

	passwordResetMail = newMailTemplate(mail.KindPasswordReset,
		`Set a new password for {{.Program}}`,
		`Hello,

Someone (perhaps you) asked to set a new password for {{.Email}} at
{{.Program}}. To choose one, open:

{{.Link}}

This link works once and for {{.ValidFor}}. If it was not you, ignore
this mail: your password stays as it is.
`,
		`<p>Hello,</p>
<p>Someone (perhaps you) asked to set a new password for {{.Email}} at <strong>{{.Program}}</strong>.</p>
<p><a href="{{.Link}}" style="display:inline-block;background:#4f46e5;color:#fff;padding:.6rem 1rem;border-radius:.4rem;text-decoration:none">Choose a new password</a></p>
<p style="color:#6b7280">This link works once and for {{.ValidFor}}. If it was not you, ignore this mail: your password stays as it is.</p>`)
)
