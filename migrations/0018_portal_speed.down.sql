DROP INDEX IF EXISTS conversions_affiliate_payout;
