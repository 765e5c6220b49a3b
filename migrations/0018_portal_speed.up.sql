-- The affiliate portal's Home splits an affiliate's approved commission
-- into paid (its conversion is in a paid payout) and not yet paid. The
-- daily rollups know nothing of payouts, so the paid part is summed from
-- the conversions themselves: this partial covering index holds only the
-- approved conversions that are in a payout, by affiliate and time, so the
-- sum over a period is an index-only range scan of that affiliate's paid-out
-- conversions (never their clicks, nor the rest of the tenant).
CREATE INDEX conversions_affiliate_payout ON conversions (tenant_id, affiliate_id, created_at)
    INCLUDE (payout_id, currency, commission)
    WHERE payout_id IS NOT NULL AND status = 'approved';
