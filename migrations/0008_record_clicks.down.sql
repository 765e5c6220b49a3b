DROP FUNCTION record_clicks(text[], text[], text[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
    text[], text[], bytea[], text[], int[], smallint, interval, boolean);
