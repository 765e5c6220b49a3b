-- The cleaned names stay clean: the control characters are not kept.
DROP INDEX customer_links_network;
ALTER TABLE customer_links DROP COLUMN network_hash;
