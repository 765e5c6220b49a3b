-- The cleaned names stay clean: the control characters are not kept.
DROP TRIGGER tenants_tracker_cache ON tenants;
DROP TRIGGER affiliates_tracker_cache ON affiliates;
DROP FUNCTION tracker_cache_changed();
DROP INDEX customer_links_network;
ALTER TABLE customer_links DROP COLUMN network_hash;
