-- The affiliate portal (SPEC section 8): an affiliate's status in the
-- program and where their payouts go; the program's slug and approval
-- mode; affiliates' passwords and sessions; one-use links (invitations and
-- password resets of affiliates and merchants).
ALTER TABLE affiliates
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'rejected', 'suspended')),
    ADD COLUMN payout_email text NOT NULL DEFAULT '',
    -- bcrypt; '' until the affiliate sets one (invitation) or applied with one.
    ADD COLUMN password_hash text NOT NULL DEFAULT '';
CREATE INDEX affiliates_tenant_status ON affiliates (tenant_id, status, created_at DESC, id DESC);

-- A slug is [a-z0-9-]{2,40}, made from the name. Existing tenants get one
-- here: the name's letters and digits joined by '-', cut to 30, 'program'
-- when nothing is left, and a -2, -3, … suffix for repeats (oldest first
-- keeps the plain one).
ALTER TABLE tenants
    ADD COLUMN slug text,
    ADD COLUMN affiliate_approval text NOT NULL DEFAULT 'manual' CHECK (affiliate_approval IN ('auto', 'manual'));
WITH base AS (
    SELECT id, created_at,
        coalesce(nullif(left(trim(BOTH '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 30), ''), 'program') AS b
    FROM tenants
), fixed AS (
    SELECT id, CASE WHEN length(trim(BOTH '-' FROM b)) < 2 THEN 'program' ELSE trim(BOTH '-' FROM b) END AS b, created_at
    FROM base
), numbered AS (
    SELECT id, b, row_number() OVER (PARTITION BY b ORDER BY created_at, id) AS n FROM fixed
)
UPDATE tenants t SET slug = CASE WHEN n.n = 1 THEN n.b ELSE n.b || '-' || n.n END
FROM numbered n WHERE n.id = t.id;
ALTER TABLE tenants ALTER COLUMN slug SET NOT NULL,
    ADD CONSTRAINT tenants_slug_key UNIQUE (slug),
    ADD CONSTRAINT tenants_slug_shape CHECK (slug ~ '^[a-z0-9-]{2,40}$');

-- Affiliates' portal sessions: as the merchants' (sessions), stored under
-- the sha256 of the cookie's value, never the value.
CREATE TABLE affiliate_sessions (
    id_hash      bytea PRIMARY KEY,
    tenant_id    text NOT NULL,
    affiliate_id text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX affiliate_sessions_expires ON affiliate_sessions (expires_at);
CREATE INDEX affiliate_sessions_affiliate ON affiliate_sessions (tenant_id, affiliate_id);

-- One-use links: 256 random bits in the URL, their sha256 here. A link is
-- for an affiliate (invite, affiliate_reset) or a merchant's user
-- (user_reset); used_at is set when it is used, and a used or expired one
-- changes nothing.
CREATE TABLE one_use_tokens (
    token_hash   bytea PRIMARY KEY,
    purpose      text NOT NULL CHECK (purpose IN ('invite', 'affiliate_reset', 'user_reset')),
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    affiliate_id text,
    user_id      bigint REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE,
    CHECK ((affiliate_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX one_use_tokens_expires ON one_use_tokens (expires_at);
