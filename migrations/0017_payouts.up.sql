-- Payouts (SPEC section 9). A conversion is payable when approved and in no
-- payout (payout_id NULL, or its payout cancelled: cancelling clears it).
CREATE TABLE payouts (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    affiliate_id text NOT NULL,
    currency     text NOT NULL,
    amount       bigint NOT NULL, -- frozen when paid; follows its conversions while pending
    status       text NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    payout_email text NOT NULL DEFAULT '',
    reference    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    paid_at      timestamptz,
    cancelled_at timestamptz,
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE,
    UNIQUE (tenant_id, id)
);
CREATE INDEX payouts_tenant_created ON payouts (tenant_id, created_at DESC, id DESC);
CREATE INDEX payouts_affiliate ON payouts (tenant_id, affiliate_id, created_at DESC, id DESC);

ALTER TABLE conversions ADD COLUMN payout_id text REFERENCES payouts (id);
CREATE INDEX conversions_payout ON conversions (payout_id) WHERE payout_id IS NOT NULL;
