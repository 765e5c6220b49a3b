-- Tenants, their users and tokens, revenue origins, affiliates, clicks and
-- the links from customer identifiers (emails) to clicks.

CREATE TABLE tenants (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    website             text NOT NULL DEFAULT '',
    cookie_days         integer NOT NULL DEFAULT 30 CHECK (cookie_days BETWEEN 1 AND 3650),
    attribution_days    integer NOT NULL DEFAULT 30 CHECK (attribution_days BETWEEN 1 AND 3650),
    hold_days           integer NOT NULL DEFAULT 30 CHECK (hold_days BETWEEN 0 AND 3650),
    -- commission: a rate in basis points (2000 = 20%) or a fixed amount in
    -- minor units of commission_currency
    commission_type     text NOT NULL DEFAULT 'percent' CHECK (commission_type IN ('percent', 'fixed')),
    commission_bp       integer NOT NULL DEFAULT 2000 CHECK (commission_bp BETWEEN 0 AND 10000),
    commission_fixed    bigint NOT NULL DEFAULT 0 CHECK (commission_fixed >= 0),
    commission_currency text NOT NULL DEFAULT '',
    recurring           text NOT NULL DEFAULT 'lifetime' CHECK (recurring IN ('lifetime', 'first', 'months')),
    recurring_months    integer NOT NULL DEFAULT 0 CHECK (recurring_months >= 0),
    timezone            text NOT NULL DEFAULT 'UTC',
    allowed_hosts       text[] NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant ON users (tenant_id);

-- Personal tokens are stored as SHA-256 hashes: they are 256-bit random, so
-- a fast hash is enough and a dump reveals nothing usable.
CREATE TABLE personal_tokens (
    id           bigserial PRIMARY KEY,
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    hint         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX personal_tokens_tenant ON personal_tokens (tenant_id, created_at DESC);

CREATE TABLE revenue_origins (
    id         text PRIMARY KEY,
    tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX revenue_origins_one_default ON revenue_origins (tenant_id) WHERE is_default;

CREATE TABLE affiliates (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                text NOT NULL,
    email               text NOT NULL,
    -- stored case-folded; unique across the whole instance (links are /r/<code>)
    code                text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,40}$'),
    landing_url         text NOT NULL DEFAULT '',
    -- optional commission override; NULL type = the tenant's rule
    commission_type     text CHECK (commission_type IN ('percent', 'fixed')),
    commission_bp       integer NOT NULL DEFAULT 0 CHECK (commission_bp BETWEEN 0 AND 10000),
    commission_fixed    bigint NOT NULL DEFAULT 0 CHECK (commission_fixed >= 0),
    commission_currency text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
CREATE INDEX affiliates_tenant_created ON affiliates (tenant_id, created_at DESC, id DESC);

-- Clicks are append-only. visitor_hash is an HMAC of IP + user agent under a
-- daily key: no raw IP is stored.
CREATE TABLE clicks (
    id           text PRIMARY KEY,
    tenant_id    text NOT NULL,
    affiliate_id text NOT NULL,
    created_at   timestamptz NOT NULL,
    landing_url  text NOT NULL DEFAULT '',
    referrer     text NOT NULL DEFAULT '',
    utm_source   text NOT NULL DEFAULT '',
    utm_medium   text NOT NULL DEFAULT '',
    utm_campaign text NOT NULL DEFAULT '',
    utm_term     text NOT NULL DEFAULT '',
    utm_content  text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    device       text NOT NULL DEFAULT '',
    visitor_hash bytea NOT NULL,
    FOREIGN KEY (tenant_id, affiliate_id) REFERENCES affiliates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX clicks_tenant_created ON clicks (tenant_id, created_at DESC, id DESC);
CREATE INDEX clicks_tenant_affiliate_created ON clicks (tenant_id, affiliate_id, created_at DESC, id DESC);
CREATE INDEX clicks_visitor ON clicks (visitor_hash, created_at DESC);

-- Links from a customer identifier (trimmed, case-folded email) to a click;
-- append-only: the link that counts is the one to the newest click.
CREATE TABLE customer_links (
    id                bigserial PRIMARY KEY,
    tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    external_cid      text NOT NULL,
    click_id          text NOT NULL REFERENCES clicks (id) ON DELETE CASCADE,
    click_created_at  timestamptz NOT NULL,
    revenue_origin_id text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, revenue_origin_id) REFERENCES revenue_origins (tenant_id, id)
);
CREATE INDEX customer_links_lookup ON customer_links (tenant_id, external_cid, click_created_at DESC, id DESC);
CREATE INDEX customer_links_click ON customer_links (click_id, created_at DESC);
