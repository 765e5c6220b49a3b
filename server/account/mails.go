package account

import "github.com/tracklane/tracklane/server/mail"

// tenantMail composes a mail of the tenant's with mail.Compose, the one
// way a mail is written (its templates escape every field; the subject is
// kept to one line), and marks it as the tenant's.
func tenantMail(tenantID string, kind mail.Kind, to, subject string, data mail.Data) (mail.Message, error) {
	m, err := mail.Compose(kind, to, subject, data)
	if err != nil {
		return mail.Message{}, err
	}
	m.TenantID = tenantID
	return m, nil
}
