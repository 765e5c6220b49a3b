-- The mail outbox (SPEC section 7): a mail is a row written in the same
-- transaction as the change that causes it; the background sender claims
-- due rows (FOR UPDATE SKIP LOCKED), hands them to SMTP and marks them sent.
-- A claim is a lease: it moves next_attempt_at to the lease's end (kept in
-- claimed_until too, for people reading the table), so a crashed sender's
-- row is due again when the lease ends. attempts counts claims and is the
-- claim's token: a sender whose lease ran out cannot reschedule a row that
-- another sender has claimed since.
CREATE TABLE mail_outbox (
    id              bigserial PRIMARY KEY,
    tenant_id       text REFERENCES tenants (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL DEFAULT '',
    link            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until   timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    failed_at       timestamptz -- gave up (after at least 24 h of retries)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
