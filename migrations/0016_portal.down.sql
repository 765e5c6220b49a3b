ALTER TABLE affiliates DROP COLUMN status, DROP COLUMN payout_email;
