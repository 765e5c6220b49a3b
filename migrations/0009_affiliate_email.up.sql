-- An affiliate's email is unique within its tenant (emails are stored
-- trimmed and case-folded, so equal emails are equal strings).
--
-- An instance may already hold the same email twice in a tenant; the
-- migration must not fail on it, and deleting or merging affiliates (their
-- clicks and conversions point at them) is not a migration's call. So every
-- copy but the oldest is marked email_duplicate and left out of the index:
-- nothing changes for them, and no new duplicate can be made. Changing a
-- marked affiliate's email clears the mark (store.UpdateAffiliate), so the
-- new email is held to the rule.
ALTER TABLE affiliates ADD COLUMN email_duplicate boolean NOT NULL DEFAULT false;

UPDATE affiliates a SET email_duplicate = true
WHERE EXISTS (
    SELECT 1 FROM affiliates older
    WHERE older.tenant_id = a.tenant_id AND older.email = a.email
      AND (older.created_at, older.id) < (a.created_at, a.id)
);

CREATE UNIQUE INDEX affiliates_tenant_email ON affiliates (tenant_id, email) WHERE NOT email_duplicate;
