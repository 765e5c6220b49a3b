-- The affiliate portal (SPEC section 8): an affiliate's status in the
-- program and where their payouts go.
ALTER TABLE affiliates
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'rejected', 'suspended')),
    ADD COLUMN payout_email text NOT NULL DEFAULT '';
