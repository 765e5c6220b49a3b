-- Payouts (SPEC section 9). A conversion is payable when approved and in no
-- payout: no payout_items row (cancelling a payout deletes its rows).
CREATE TABLE payouts (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    affiliate_id text NOT NULL,
    currency     text NOT NULL,
    amount       bigint NOT NULL, -- at creation (commission + adjustments); frozen again when paid or cancelled
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

-- The paid payout that paid the conversion's commission: set when that
-- payout is marked paid, never cleared (a paid payout is final). Pending
-- membership lives in payout_items alone, so creating payouts for 200k
-- conversions inserts narrow rows instead of rewriting wide ones.
ALTER TABLE conversions ADD COLUMN payout_id text REFERENCES payouts (id);
CREATE INDEX conversions_payout ON conversions (payout_id) WHERE payout_id IS NOT NULL;

-- Which payout (pending or paid) holds a conversion. The primary key is
-- the guarantee that no conversion is ever in two payouts, whatever runs
-- at the same time. No foreign keys: each would check (and lock) a
-- referenced row per inserted row, tripling the cost of creating payouts;
-- rows are written only by the store, next to the rows they name, and
-- nothing deletes conversions or payouts but a tenant's removal.
-- commission is the conversion's commission when it joined the payout:
-- a pending payout comes to its amount at creation plus how much its
-- conversions' commission changed since (refunds before payment).
CREATE TABLE payout_items (
    conversion_id text PRIMARY KEY,
    tenant_id     text NOT NULL,
    payout_id     text NOT NULL,
    commission    bigint NOT NULL
);
CREATE INDEX payout_items_payout ON payout_items (payout_id);

-- The commission a paid payout paid for a conversion (NULL while unpaid):
-- what a later refund or lost dispute is clawed back against.
ALTER TABLE conversions ADD COLUMN paid_commission bigint;
-- What payout creation reads: approved and not paid, per affiliate (those
-- in a pending payout are told apart by payout_items).
CREATE INDEX conversions_payable ON conversions (tenant_id, affiliate_id, currency)
    WHERE status = 'approved' AND payout_id IS NULL;

-- The least a payout may be, in the minor units of its currency (each
-- affiliate and currency on its own); 0 = any positive amount.
ALTER TABLE tenants ADD COLUMN payout_minimum bigint NOT NULL DEFAULT 0 CHECK (payout_minimum >= 0);

-- The clawback ledger: what an affiliate owes (negative) or is owed back
-- (positive) on a conversion whose commission was already paid. An entry
-- is settled by the payout that holds it (payout_id); cancelling that
-- payout makes it open again.
CREATE TABLE payout_debts (
    id            bigserial PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    affiliate_id  text NOT NULL,
    currency      text NOT NULL,
    conversion_id text NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
    amount        bigint NOT NULL,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL,
    payout_id     text REFERENCES payouts (id),
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payout_debts_open ON payout_debts (tenant_id, affiliate_id, currency) WHERE payout_id IS NULL;
CREATE INDEX payout_debts_payout ON payout_debts (payout_id) WHERE payout_id IS NOT NULL;
CREATE INDEX payout_debts_conversion ON payout_debts (conversion_id);

-- A cancelled payout remembers which conversions it held (they are free
-- again, so conversions.payout_id no longer says).
ALTER TABLE payouts ADD COLUMN cancelled_conversion_ids text[] NOT NULL DEFAULT '{}';
