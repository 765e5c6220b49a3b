ALTER TABLE conversions DROP COLUMN flags;
ALTER TABLE stripe_customer_attributions DROP COLUMN flags;
DROP INDEX customer_links_visitor;
ALTER TABLE customer_links DROP COLUMN flags, DROP COLUMN visitor_hash;
