-- The browsers an affiliate used for their own portal, one row per browser
-- and UTC day: the tracker's keyed visitor hash (HMAC of IP and user agent
-- under a key of SECRET_KEY and the day; never the IP). An email link made
-- from one of these browsers to that affiliate's click on the same day is
-- flagged affiliate_own_browser (attribution.LinkFlags). The portal writes
-- a row at log-in and once a day per session; rows older than 90 days are
-- swept by that write (store.RecordPortalVisitor).
CREATE TABLE portal_visitors (
    tenant_id    text NOT NULL,
    affiliate_id text NOT NULL,
    visitor_hash bytea NOT NULL,
    day          date NOT NULL,
    PRIMARY KEY (tenant_id, affiliate_id, visitor_hash, day),
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_visitors_day ON portal_visitors (tenant_id, day);
