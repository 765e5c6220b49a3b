-- Fraud signals on email links (SECURITY.md, "an affiliate takes another's
-- commission through the email link"): the keyed visitor hash of the
-- browser that linked (never a raw IP), and the signals the link raised;
-- a conversion (and the customer's lock) carries the flags of the link that
-- attributed it.
ALTER TABLE customer_links
    ADD COLUMN visitor_hash bytea,
    ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
CREATE INDEX customer_links_visitor ON customer_links (tenant_id, visitor_hash, created_at) WHERE visitor_hash IS NOT NULL;

ALTER TABLE stripe_customer_attributions ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
ALTER TABLE conversions ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
