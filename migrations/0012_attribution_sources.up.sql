-- Attribution beyond the email (SPEC section 10): promotion codes assigned
-- to affiliates, click ids and promotion codes carried into Stripe, and the
-- source that attributed each customer and conversion.

-- A merchant's Stripe promotion codes (customer-facing text, case-folded)
-- assigned to affiliates; unique per tenant.
CREATE TABLE affiliate_coupons (
    tenant_id    text NOT NULL,
    code         text NOT NULL,
    affiliate_id text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, code),
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX affiliate_coupons_affiliate ON affiliate_coupons (tenant_id, affiliate_id);

-- A payment's own carriers: the click id in its metadata and the promotion
-- codes (text, case-folded) it used; its payment intent links it to a
-- Checkout Session without a customer.
ALTER TABLE stripe_payments
    ADD COLUMN click_id          text NOT NULL DEFAULT '',
    ADD COLUMN promotion_codes   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN payment_intent_id text NOT NULL DEFAULT '';
CREATE INDEX stripe_payments_intent ON stripe_payments (account_id, livemode, payment_intent_id) WHERE payment_intent_id <> '';

-- What Stripe objects other than the payment say about who brought it: a
-- Checkout Session's client_reference_id, metadata.tracklane_cid on a
-- session, customer, subscription or payment intent, a session's promotion
-- codes. Keyed by the object the payments name (customer, subscription,
-- payment intent, invoice). Kept as they arrive; the attribution rule
-- decides what counts.
CREATE TABLE stripe_attribution_hints (
    tenant_id       text NOT NULL,
    account_id      text NOT NULL,
    livemode        boolean NOT NULL,
    key             text NOT NULL, -- cus_…, sub_…, pi_… or in_…
    origin          text NOT NULL, -- the object that said it: cs_…, cus_…, pi_…
    click_id        text NOT NULL DEFAULT '',
    promotion_codes text[] NOT NULL DEFAULT '{}',
    event_id        text NOT NULL,
    PRIMARY KEY (account_id, livemode, key, origin)
);

-- Promotion code ids → their customer-facing text: it never changes, so a
-- renewal costs no call.
CREATE TABLE stripe_promotion_codes (
    account_id        text NOT NULL,
    livemode          boolean NOT NULL,
    promotion_code_id text NOT NULL,
    code              text NOT NULL, -- case-folded; '' for a deleted code
    PRIMARY KEY (account_id, livemode, promotion_code_id)
);

ALTER TABLE stripe_customer_attributions
    ADD COLUMN source text NOT NULL DEFAULT 'email' CHECK (source IN ('email', 'click_id', 'coupon')),
    ADD COLUMN coupon text NOT NULL DEFAULT '';

ALTER TABLE conversions
    ADD COLUMN source text NOT NULL DEFAULT 'email' CHECK (source IN ('email', 'click_id', 'coupon')),
    ADD COLUMN coupon text NOT NULL DEFAULT '';
