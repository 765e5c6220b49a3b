DROP INDEX mail_outbox_recipient;
DROP INDEX one_use_tokens_live_user;
DROP INDEX one_use_tokens_live_affiliate;
DELETE FROM one_use_tokens WHERE purpose = 'confirm_email';
ALTER TABLE one_use_tokens DROP CONSTRAINT one_use_tokens_purpose_check,
    ADD CONSTRAINT one_use_tokens_purpose_check
        CHECK (purpose IN ('invite', 'affiliate_reset', 'user_reset'));
ALTER TABLE affiliates DROP COLUMN email_unconfirmed;
