-- Trust (SPEC section 14): one-use links, payout emails, mails to one
-- address.

-- An applicant of a program that approves automatically stays shut until
-- they open the link mailed to their address (purpose confirm_email):
-- email_unconfirmed is true until then, and they cannot log in.
ALTER TABLE affiliates ADD COLUMN email_unconfirmed boolean NOT NULL DEFAULT false;
ALTER TABLE one_use_tokens DROP CONSTRAINT one_use_tokens_purpose_check,
    ADD CONSTRAINT one_use_tokens_purpose_check
        CHECK (purpose IN ('invite', 'affiliate_reset', 'user_reset', 'confirm_email'));

-- A used link, a password set or changed retires the account's other live
-- links (used_at): found by account.
CREATE INDEX one_use_tokens_live_affiliate ON one_use_tokens (tenant_id, affiliate_id) WHERE used_at IS NULL AND affiliate_id IS NOT NULL;
CREATE INDEX one_use_tokens_live_user ON one_use_tokens (user_id) WHERE used_at IS NULL AND user_id IS NOT NULL;

-- The cap on mails to one address counts that address's recent mails.
CREATE INDEX mail_outbox_recipient ON mail_outbox (lower(recipient), created_at);

-- A mail's body goes once it is sent (or given up): the outbox, and every
-- backup of it, keeps no usable link.
UPDATE mail_outbox SET text_body = '', html_body = '', link = ''
WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL;

-- A pending payout keeps the email it was created with (it read the
-- affiliate's current one until now): what it would have been paid to
-- today.
UPDATE payouts p SET payout_email = a.payout_email
FROM affiliates a
WHERE p.status = 'pending' AND a.tenant_id = p.tenant_id AND a.id = p.affiliate_id;

-- A payout email that a spreadsheet would run as a formula (= + - @ first)
-- or that holds a control character is refused from now on; one stored
-- before is cleared, so such payouts are listed as having no payout email
-- instead of reaching the PayPal file.
UPDATE affiliates SET payout_email = ''
WHERE payout_email ~ '^[-=+@]' OR payout_email ~ '[[:cntrl:]]';
UPDATE payouts SET payout_email = ''
WHERE status = 'pending' AND (payout_email ~ '^[-=+@]' OR payout_email ~ '[[:cntrl:]]');
