package cli

import (
	"log/slog"

	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
)

// newMailSender wires the outbox's sender: SMTP when SMTP_URL is set, else
// the Logger transport (each mail logged with its link, nothing sent).
// serve runs it; tests that build a Server do not.
func newMailSender(cfg config.Config, st *store.Store, log *slog.Logger) (*mail.Sender, error) {
	var transport mail.Transport = mail.Logger{Log: log}
	if cfg.MailConfigured {
		smtp, err := mail.NewSMTP(cfg.SMTP, cfg.MailFrom, 0)
		if err != nil {
			return nil, err
		}
		transport = smtp
		log.Info("mail: sending through "+cfg.SMTP.String(), "from", cfg.MailFrom)
	} else {
		log.Info("mail: SMTP_URL is unset; mails are logged with their links, not sent")
	}
	return mail.NewSender(st, transport, mail.Options{}, log), nil
}
