DROP TABLE payout_debts;
ALTER TABLE tenants DROP COLUMN payout_minimum;
ALTER TABLE conversions DROP COLUMN paid_commission, DROP COLUMN payout_id;
DROP TABLE payouts;
