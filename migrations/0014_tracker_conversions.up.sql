-- Conversions reported by the merchant's site (SPEC section 11): the
-- tracker's `conversion` command and its server-side twin. They live in
-- conversions beside Stripe's, so rollups, lists, CSV and payouts take
-- them as they are; what sets them apart is their origin.

-- A tenant's conversion types and their commission rules. `sale` (the
-- tenant's rule) and `lead` (fixed 0) exist for every tenant without a
-- row; a row overrides them or adds a type. rule_type 'tenant' = the
-- tenant's own rule (and an affiliate's override of it).
CREATE TABLE conversion_types (
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code          text NOT NULL CHECK (code ~ '^[a-z0-9_-]{1,40}$'),
    name          text NOT NULL,
    rule_type     text NOT NULL CHECK (rule_type IN ('tenant', 'percent', 'fixed')),
    rule_bp       integer NOT NULL DEFAULT 0,
    rule_fixed    bigint NOT NULL DEFAULT 0,
    rule_currency text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code)
);

-- The largest amount the site may report, in minor units of the tenant's
-- currency (default 10,000.00); larger reports are refused.
ALTER TABLE tenants ADD COLUMN max_conversion_amount bigint NOT NULL DEFAULT 1000000 CHECK (max_conversion_amount >= 0);

-- A tracker conversion has no Stripe payment: stripe_account '' and
-- source_id 'tracker:<id>', so UNIQUE (stripe_account, livemode, source_id)
-- never collides and the Stripe sync (which reads by a real account) never
-- sees it.
ALTER TABLE conversions
    ADD COLUMN origin          text NOT NULL DEFAULT 'stripe' CHECK (origin IN ('stripe', 'tracker')),
    ADD COLUMN conversion_type text NOT NULL DEFAULT '',
    ADD COLUMN external_id     text NOT NULL DEFAULT '',
    ADD COLUMN customer_id     text NOT NULL DEFAULT '',
    ADD COLUMN custom_params   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_params) = 'object');

-- One conversion per tenant, type and externalId: a repeat finds this one.
CREATE UNIQUE INDEX conversions_tracker_external ON conversions (tenant_id, conversion_type, external_id)
    WHERE origin = 'tracker' AND external_id <> '';
CREATE INDEX conversions_tenant_origin ON conversions (tenant_id, origin, created_at DESC, id DESC);
