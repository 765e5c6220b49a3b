DROP FUNCTION record_clicks(text[], text[], text[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
    text[], text[], bytea[], text[], int[], smallint, interval, boolean);
ALTER TABLE clicks ADD FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE;
