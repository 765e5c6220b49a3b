DROP TABLE payout_debts;
DROP TABLE payout_items;
ALTER TABLE tenants DROP COLUMN payout_minimum;
ALTER TABLE conversions DROP COLUMN paid_commission, DROP COLUMN payout_id;
DROP TABLE payouts;
