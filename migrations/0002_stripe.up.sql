-- Stripe connections, the facts read from their events, and conversions.
--
-- Conversions are derived: each is recomputed from the facts below (the
-- payment, its charge's refunds and dispute, its subscription's
-- cancellation, the hold period), so events may arrive in any order and the
-- end state is the same. Every change is kept in conversion_history.

CREATE TABLE stripe_connections (
    id                     bigserial PRIMARY KEY,
    tenant_id              text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id             text NOT NULL,
    livemode               boolean NOT NULL,
    user_id                text NOT NULL DEFAULT '',
    token_hint             text NOT NULL DEFAULT '',
    active                 boolean NOT NULL DEFAULT true,
    connected_at           timestamptz NOT NULL DEFAULT now(),
    -- forward cursor: the newest event applied in order (ending_before)
    cursor_event_id        text NOT NULL DEFAULT '',
    cursor_created         bigint NOT NULL DEFAULT 0,
    -- backfill (newest first, starting_after): '' = none in progress,
    -- '*' = start from the newest event
    backfill_after         text NOT NULL DEFAULT '',
    backfill_since         bigint NOT NULL DEFAULT 0,
    last_check_started_at  timestamptz,
    last_check_finished_at timestamptz,
    last_events_seen       integer NOT NULL DEFAULT 0,
    last_created           integer NOT NULL DEFAULT 0,
    last_updated           integer NOT NULL DEFAULT 0,
    last_error             text NOT NULL DEFAULT '',
    next_check_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, livemode)
);
CREATE INDEX stripe_connections_tenant ON stripe_connections (tenant_id);
CREATE INDEX stripe_connections_due ON stripe_connections (next_check_at) WHERE active;

-- Every applied Stripe event, recorded in the transaction of its effect.
CREATE TABLE stripe_events (
    event_id   text PRIMARY KEY,
    tenant_id  text NOT NULL,
    account_id text NOT NULL,
    livemode   boolean NOT NULL,
    type       text NOT NULL,
    created    timestamptz NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    via        text NOT NULL DEFAULT ''
);

-- Paid invoices and invoice-less charges: each is (at most) one conversion.
CREATE TABLE stripe_payments (
    tenant_id       text NOT NULL,
    account_id      text NOT NULL,
    livemode        boolean NOT NULL,
    source_id       text NOT NULL, -- the invoice id, or the charge id of an invoice-less charge
    customer_id     text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    paid_at         timestamptz NOT NULL,
    invoice_id      text NOT NULL DEFAULT '',
    charge_id       text NOT NULL DEFAULT '',
    subscription_id text NOT NULL DEFAULT '',
    event_id        text NOT NULL,
    converted       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, livemode, source_id)
);
CREATE INDEX stripe_payments_waiting ON stripe_payments (tenant_id, email) WHERE NOT converted;
CREATE INDEX stripe_payments_customer ON stripe_payments (account_id, livemode, customer_id);
CREATE INDEX stripe_payments_charge ON stripe_payments (account_id, livemode, charge_id) WHERE charge_id <> '';
CREATE INDEX stripe_payments_subscription ON stripe_payments (account_id, livemode, subscription_id) WHERE subscription_id <> '';

-- What is known of a charge: refunds (cumulative, only ever grows) and its
-- dispute. A row may exist before the payment it belongs to is known.
CREATE TABLE stripe_charges (
    tenant_id             text NOT NULL,
    account_id            text NOT NULL,
    livemode              boolean NOT NULL,
    charge_id             text NOT NULL,
    invoice_id            text NOT NULL DEFAULT '',
    customer_id           text NOT NULL DEFAULT '',
    amount                bigint NOT NULL DEFAULT 0,
    created               timestamptz,
    amount_refunded       bigint NOT NULL DEFAULT 0,
    refund_event_id       text NOT NULL DEFAULT '',
    dispute_id            text NOT NULL DEFAULT '',
    dispute_status        text NOT NULL DEFAULT '',
    dispute_event_id      text NOT NULL DEFAULT '',
    dispute_event_created bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, livemode, charge_id)
);

CREATE TABLE stripe_subscriptions (
    tenant_id       text NOT NULL,
    account_id      text NOT NULL,
    livemode        boolean NOT NULL,
    subscription_id text NOT NULL,
    canceled_at     timestamptz NOT NULL,
    event_id        text NOT NULL,
    PRIMARY KEY (account_id, livemode, subscription_id)
);

-- Once a Stripe customer is attributed, its later payments follow it.
CREATE TABLE stripe_customer_attributions (
    tenant_id         text NOT NULL,
    account_id        text NOT NULL,
    livemode          boolean NOT NULL,
    customer_id       text NOT NULL,
    affiliate_id      text NOT NULL,
    click_id          text NOT NULL,
    external_cid      text NOT NULL,
    revenue_origin_id text NOT NULL,
    first_paid_at     timestamptz NOT NULL,
    first_source_id   text NOT NULL,
    PRIMARY KEY (account_id, livemode, customer_id)
);

CREATE TABLE conversions (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    affiliate_id        text NOT NULL,
    click_id            text NOT NULL,
    external_cid        text NOT NULL,
    revenue_origin_id   text NOT NULL DEFAULT '',
    stripe_account      text NOT NULL,
    livemode            boolean NOT NULL,
    source_id           text NOT NULL,
    stripe_customer     text NOT NULL DEFAULT '',
    stripe_invoice      text NOT NULL DEFAULT '',
    stripe_charge       text NOT NULL DEFAULT '',
    stripe_subscription text NOT NULL DEFAULT '',
    currency            text NOT NULL,
    gross_amount        bigint NOT NULL,
    amount              bigint NOT NULL,
    commission          bigint NOT NULL,
    -- the commission rule in force when the payment was attributed: later
    -- changes of the tenant's rule do not rewrite past commissions
    rule_type           text NOT NULL,
    rule_bp             integer NOT NULL,
    rule_fixed          bigint NOT NULL,
    rule_currency       text NOT NULL,
    status              text NOT NULL CHECK (status IN ('pending', 'approved', 'refunded', 'cancelled', 'disputed', 'rejected', 'test')),
    manual_status       text NOT NULL DEFAULT '' CHECK (manual_status IN ('', 'approved', 'rejected')),
    created_at          timestamptz NOT NULL, -- the payment's time
    updated_at          timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE,
    UNIQUE (stripe_account, livemode, source_id)
);
CREATE INDEX conversions_tenant_created ON conversions (tenant_id, created_at DESC, id DESC);
CREATE INDEX conversions_tenant_status ON conversions (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX conversions_tenant_affiliate ON conversions (tenant_id, affiliate_id, created_at DESC, id DESC);
CREATE INDEX conversions_pending ON conversions (created_at) WHERE status = 'pending';

CREATE TABLE conversion_history (
    id            bigserial PRIMARY KEY,
    conversion_id text NOT NULL REFERENCES conversions (id) ON DELETE CASCADE,
    tenant_id     text NOT NULL,
    at            timestamptz NOT NULL,
    status        text NOT NULL,
    reason        text NOT NULL,
    stripe_event  text NOT NULL DEFAULT '',
    amount        bigint NOT NULL,
    commission    bigint NOT NULL
);
CREATE INDEX conversion_history_conversion ON conversion_history (conversion_id, id);
