package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracklane/tracklane/server/mail"
)

// enqueueMail writes m to the outbox inside tx: the mail exists exactly
// when the change that causes it commits. Every store method whose change
// mails someone calls it in its own transaction.
func enqueueMail(ctx context.Context, tx *sql.Tx, m mail.Message) error {
	var tenant any
	if m.TenantID != "" {
		tenant = m.TenantID
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO mail_outbox (tenant_id, kind, recipient, subject, text_body, html_body, link)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tenant, string(m.Kind), m.To, m.Subject, m.Text, m.HTML, m.Link)
	if err != nil {
		return fmt.Errorf("writing %s mail to the outbox: %w", m.Kind, err)
	}
	return nil
}
