-- A program's earlier slugs: invitation and reset links, and links
-- affiliates shared, name /p/<slug>/…; after the merchant renames the
-- program they still find it (the portal redirects a GET to the current
-- slug). A live slug always wins over an alias, and the trigger keeps one
-- alias per slug, pointing at the program that last gave it up.
CREATE TABLE tenant_slug_aliases (
    slug       text PRIMARY KEY,
    tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION tenants_slug_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_slug_aliases (slug, tenant_id) VALUES (OLD.slug, NEW.id)
    ON CONFLICT (slug) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, created_at = now();
    RETURN NULL;
END $$;

CREATE TRIGGER tenants_slug_alias AFTER UPDATE OF slug ON tenants
    FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug) EXECUTE FUNCTION tenants_slug_alias();
