ALTER TABLE conversions DROP COLUMN payout_id;
DROP TABLE payouts;
