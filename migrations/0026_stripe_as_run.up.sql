-- Stripe as merchants really run it (SPEC section 13): charges captured
-- later, refunds that fail, credit notes, the link newer API versions give
-- a charge's invoice, and events that cannot be read.

-- A charge's payment intent (invoice_payment.paid names the invoice a
-- payment intent paid), what it captured (NULL: not said, all of it), and
-- amount_refunded as its latest payload showed it with that event's time
-- (a refund that fails is taken off amount_refunded again, so the largest
-- seen is not the latest; NULL: no payload seen since this migration).
ALTER TABLE stripe_charges
    ADD COLUMN payment_intent_id  text NOT NULL DEFAULT '',
    ADD COLUMN amount_captured    bigint,
    ADD COLUMN refunded_latest    bigint,
    ADD COLUMN refunded_latest_at bigint;
-- invoice_payment.paid gives its invoice to a charge recorded without one.
CREATE INDEX stripe_charges_unlinked_intent ON stripe_charges (account_id, livemode, payment_intent_id)
    WHERE invoice_id = '' AND payment_intent_id <> '';

-- Refunds by id: each counts once, and stops counting when it fails or is
-- cancelled (charge.refund.updated). The latest status wins.
CREATE TABLE stripe_refunds (
    tenant_id  text NOT NULL,
    account_id text NOT NULL,
    livemode   boolean NOT NULL,
    refund_id  text NOT NULL,
    charge_id  text NOT NULL,
    amount     bigint NOT NULL,
    status     text NOT NULL DEFAULT '',
    status_at  bigint NOT NULL DEFAULT 0, -- the event's time (unix)
    event_id   text NOT NULL,
    PRIMARY KEY (account_id, livemode, refund_id)
);
CREATE INDEX stripe_refunds_charge ON stripe_refunds (account_id, livemode, charge_id);

-- invoice_payment.paid: which invoice a payment intent (or a charge made
-- without one) paid.
CREATE TABLE stripe_invoice_payments (
    tenant_id         text NOT NULL,
    account_id        text NOT NULL,
    livemode          boolean NOT NULL,
    invoice_id        text NOT NULL,
    payment_intent_id text NOT NULL DEFAULT '',
    charge_id         text NOT NULL DEFAULT '',
    event_id          text NOT NULL,
    PRIMARY KEY (account_id, livemode, invoice_id, payment_intent_id, charge_id)
);
CREATE INDEX stripe_invoice_payments_intent ON stripe_invoice_payments (account_id, livemode, payment_intent_id)
    WHERE payment_intent_id <> '';
CREATE INDEX stripe_invoice_payments_charge ON stripe_invoice_payments (account_id, livemode, charge_id)
    WHERE charge_id <> '';

-- Credit notes of invoices: the part of each not paid back as a refund
-- lowers the invoice's conversion, until the note is voided.
CREATE TABLE stripe_credit_notes (
    tenant_id      text NOT NULL,
    account_id     text NOT NULL,
    livemode       boolean NOT NULL,
    credit_note_id text NOT NULL,
    invoice_id     text NOT NULL,
    unrefunded     bigint NOT NULL DEFAULT 0,
    void           boolean NOT NULL DEFAULT false,
    event_id       text NOT NULL,
    PRIMARY KEY (account_id, livemode, credit_note_id)
);
CREATE INDEX stripe_credit_notes_invoice ON stripe_credit_notes (account_id, livemode, invoice_id);

-- Events a check could not read because a lookup they need keeps failing
-- (Stripe answered a 4xx other than 404 and 429). After three checks in a
-- row the event is parked (parked_at): the connection's later events go
-- on, and every later check tries it again until it applies (the row is
-- then deleted). The payload is kept to try it again.
CREATE TABLE stripe_event_failures (
    connection_id   bigint NOT NULL REFERENCES stripe_connections (id) ON DELETE CASCADE,
    tenant_id       text NOT NULL,
    event_id        text NOT NULL,
    type            text NOT NULL,
    created         timestamptz NOT NULL,
    payload         bytea NOT NULL,
    error           text NOT NULL,
    failures        integer NOT NULL DEFAULT 1,
    last_check_at   timestamptz NOT NULL, -- the check that last failed on it (one count per check)
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    parked_at       timestamptz,
    PRIMARY KEY (connection_id, event_id)
);
CREATE INDEX stripe_event_failures_tenant ON stripe_event_failures (tenant_id) WHERE parked_at IS NOT NULL;
