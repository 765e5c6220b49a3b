-- Fold the shards back into one row per key before dropping the column.
CREATE TEMPORARY TABLE click_days_0004 AS
    SELECT tenant_id, day, sum(clicks)::bigint AS clicks, sum(uniques)::bigint AS uniques FROM click_days GROUP BY 1, 2;
CREATE TEMPORARY TABLE affiliate_click_days_0004 AS
    SELECT tenant_id, day, affiliate_id, sum(clicks)::bigint AS clicks, sum(uniques)::bigint AS uniques
    FROM affiliate_click_days GROUP BY 1, 2, 3;
DELETE FROM click_days;
DELETE FROM affiliate_click_days;
ALTER TABLE click_days DROP CONSTRAINT click_days_pkey;
ALTER TABLE click_days DROP COLUMN shard;
ALTER TABLE click_days ADD PRIMARY KEY (tenant_id, day);
ALTER TABLE affiliate_click_days DROP CONSTRAINT affiliate_click_days_pkey;
ALTER TABLE affiliate_click_days DROP COLUMN shard;
ALTER TABLE affiliate_click_days ADD PRIMARY KEY (tenant_id, day, affiliate_id);
INSERT INTO click_days (tenant_id, day, clicks, uniques) SELECT * FROM click_days_0004;
INSERT INTO affiliate_click_days (tenant_id, day, affiliate_id, clicks, uniques) SELECT * FROM affiliate_click_days_0004;
DROP FUNCTION IF EXISTS click_visitor_days_covered();
DROP FUNCTION IF EXISTS click_visitor_days_from();
DROP TABLE IF EXISTS affiliate_visitor_days;
DROP TABLE IF EXISTS click_visitor_days;
DROP TABLE click_days_0004, affiliate_click_days_0004;
