package mail

import (
	"context"
	"log/slog"
)

// Logger is the transport when SMTP_URL is unset: nothing is sent; each
// mail is logged (recipient, subject, kind and its link) so a one-machine
// set-up works without a mail server. The mail then counts as sent.
type Logger struct{ Log *slog.Logger }

// Send logs o.
func (l Logger) Send(_ context.Context, o Outgoing) error {
	l.Log.Info("mail not sent (SMTP_URL is unset)", "to", o.To, "subject", o.Subject, "kind", string(o.Kind), "link", o.Link)
	return nil
}
