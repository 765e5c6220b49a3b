package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/mail"
)

// The outbox is the one table the store reads across tenants: the sender
// delivers every tenant's mail (and mails of no tenant) in one queue. Each
// row is still addressed by its own id; nothing here reads tenant data.

// enqueueMail writes m to the outbox inside tx: the mail exists exactly
// when the change that causes it commits. Every store method whose change
// mails someone calls it in its own transaction. A mail of a capped kind
// past its recipient's cap is not written (see enqueueCapped).
func enqueueMail(ctx context.Context, tx *sql.Tx, m mail.Message) error {
	_, err := enqueueCapped(ctx, tx, m)
	return err
}

// enqueueCapped is enqueueMail that reports whether m was written: false
// when m is of a capped kind (mail.Kind.Capped) and its recipient already
// got mail.RecipientCap mails of those kinds within
// mail.RecipientCapWindow (SPEC section 14). The recipient's advisory lock
// is held to the end of tx, so mails to one address written at the same
// moment are counted one by one.
func enqueueCapped(ctx context.Context, tx *sql.Tx, m mail.Message) (bool, error) {
	if m.Kind.Capped() {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('mail-recipient:' || lower($1), 0))`, m.To); err != nil {
			return false, fmt.Errorf("locking the mail recipient: %w", err)
		}
		kinds := make([]string, len(mail.CappedKinds))
		for i, k := range mail.CappedKinds {
			kinds[i] = string(k)
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox
			WHERE lower(recipient) = lower($1) AND kind = ANY($2) AND created_at > now() - make_interval(secs => $3)`,
			m.To, pq.Array(kinds), mail.RecipientCapWindow.Seconds()).Scan(&recent); err != nil {
			return false, fmt.Errorf("counting the recipient's recent mails: %w", err)
		}
		if recent >= mail.RecipientCap {
			return false, nil
		}
	}
	var tenant any
	if m.TenantID != "" {
		tenant = m.TenantID
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO mail_outbox (tenant_id, kind, recipient, subject, text_body, html_body, link)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tenant, string(m.Kind), m.To, m.Subject, m.Text, m.HTML, m.Link)
	if err != nil {
		return false, fmt.Errorf("writing %s mail to the outbox: %w", m.Kind, err)
	}
	return true, nil
}

// EnqueueMail writes m to the outbox on its own, for a caller whose cause
// is not a store transaction (a store method that changes something and
// mails about it calls enqueueMail in its transaction instead).
func (s *Store) EnqueueMail(ctx context.Context, m mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return enqueueMail(ctx, tx, m) })
}

// ClaimMail claims up to n mails due at now for one attempt each: a lease
// until now+lease, after which a mail not marked sent (its sender crashed)
// is due again. SKIP LOCKED lets several senders claim side by side, never
// the same row; a row claimed by a committed claim meanwhile is re-checked
// and skipped, since its next_attempt_at moved to the lease's end.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, n int) ([]mail.Outgoing, error) {
	until := now.Add(lease)
	rows, err := s.db.QueryContext(ctx, `
		UPDATE mail_outbox o SET next_attempt_at = $2, claimed_until = $2, attempts = o.attempts + 1
		WHERE o.id IN (
			SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING o.id, coalesce(o.tenant_id, ''), o.kind, o.recipient, o.subject, o.text_body, o.html_body,
			o.link, o.created_at, o.attempts`, now, until, n)
	if err != nil {
		return nil, fmt.Errorf("claiming mail: %w", err)
	}
	defer rows.Close()
	out, err := scanAll(rows, "claimed mail", func(r scanner) (mail.Outgoing, error) {
		var o mail.Outgoing
		var kind string
		err := r.Scan(&o.ID, &o.TenantID, &kind, &o.To, &o.Subject, &o.Text, &o.HTML, &o.Link, &o.CreatedAt, &o.Attempt)
		o.Kind = mail.Kind(kind)
		return o, err
	})
	if err != nil {
		return nil, err
	}
	// RETURNING keeps no order: oldest first, as claimed.
	slices.SortFunc(out, func(a, b mail.Outgoing) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// doneMail is what a mail keeps once it is sent or given up: its bodies
// and link are emptied (SPEC section 14), since they hold invitation and
// reset links that no backup should keep; the row itself stays (for
// Retention and the cap on one recipient).
const doneMail = `text_body = '', html_body = '', link = ''`

// MarkMailSent records that the SMTP server accepted mail id and empties
// its bodies. It holds whoever's claim it is: the mail was handed over,
// once, either way.
func (s *Store) MarkMailSent(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `
		UPDATE mail_outbox SET sent_at = $2, claimed_until = NULL, last_error = '', `+doneMail+`
		WHERE id = $1 AND sent_at IS NULL`, id, at); err != nil {
		return fmt.Errorf("marking mail %d sent: %w", id, err)
	}
	return nil
}

// RescheduleMail records a failed attempt of mail id (its claim's attempt
// number) and makes it due again at next. A claim that is no longer the
// row's newest (the lease ran out and another sender claimed the row)
// changes nothing.
func (s *Store) RescheduleMail(ctx context.Context, id int64, attempt int, next time.Time, reason string) error {
	if _, err := s.db.ExecContext(ctx, `
		UPDATE mail_outbox SET next_attempt_at = $3, claimed_until = NULL, last_error = $4
		WHERE id = $1 AND attempts = $2 AND sent_at IS NULL AND failed_at IS NULL`,
		id, attempt, next, truncateMailError(reason)); err != nil {
		return fmt.Errorf("rescheduling mail %d: %w", id, err)
	}
	return nil
}

// FailMail gives mail id up after its last failed attempt (the sender
// retried it long enough, or it can never be sent), emptying its bodies.
func (s *Store) FailMail(ctx context.Context, id int64, attempt int, at time.Time, reason string) error {
	if _, err := s.db.ExecContext(ctx, `
		UPDATE mail_outbox SET failed_at = $3, claimed_until = NULL, last_error = $4, `+doneMail+`
		WHERE id = $1 AND attempts = $2 AND sent_at IS NULL AND failed_at IS NULL`,
		id, attempt, at, truncateMailError(reason)); err != nil {
		return fmt.Errorf("giving mail %d up: %w", id, err)
	}
	return nil
}

// ReleaseMail hands back a claim that was never tried (the sender is
// stopping): the mail is due at once for any sender and the claim does
// not count as an attempt.
func (s *Store) ReleaseMail(ctx context.Context, id int64, attempt int, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `
		UPDATE mail_outbox SET next_attempt_at = $3, claimed_until = NULL, attempts = attempts - 1
		WHERE id = $1 AND attempts = $2 AND sent_at IS NULL AND failed_at IS NULL`,
		id, attempt, now); err != nil {
		return fmt.Errorf("releasing mail %d: %w", id, err)
	}
	return nil
}

// MailStatus is one outbox row's delivery state, for tests and operators.
type MailStatus struct {
	ID            int64
	Kind          mail.Kind
	To            string
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	SentAt        *time.Time
	FailedAt      *time.Time
}

// MailOutbox lists the outbox, oldest first (at most limit rows).
func (s *Store) MailOutbox(ctx context.Context, limit int) ([]MailStatus, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, kind, recipient, attempts, last_error, next_attempt_at, sent_at, failed_at
		FROM mail_outbox ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the mail outbox: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "outbox row", func(r scanner) (MailStatus, error) {
		var m MailStatus
		var kind string
		err := r.Scan(&m.ID, &kind, &m.To, &m.Attempts, &m.LastError, &m.NextAttemptAt, &m.SentAt, &m.FailedAt)
		m.Kind = mail.Kind(kind)
		return m, err
	})
}

// truncateMailError cuts an error text to 1000 bytes on a rune boundary.
func truncateMailError(s string) string {
	n := 1000
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// PurgeMail deletes mails sent or given up before before (their bodies
// went when they were sent; what is left is who was mailed what, when).
func (s *Store) PurgeMail(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM mail_outbox WHERE sent_at < $1 OR failed_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purging the mail outbox: %w", err)
	}
	return res.RowsAffected()
}
