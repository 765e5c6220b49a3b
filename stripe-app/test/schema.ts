// Validation against Stripe's published manifest JSON schema
// (schema/stripe-app.schema.json, vendored with its licence).
import fs from 'fs';
import path from 'path';
import Ajv, { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export const SCHEMA_PATH = path.join(__dirname, '..', 'schema', 'stripe-app.schema.json');

/**
 * Permissions in Stripe's permissions reference (docs.stripe.com/stripe-apps/reference/permissions)
 * that the published schema's enum does not list yet. Mirrors SchemaLag in server/appmanifest.
 */
export const SCHEMA_LAG = ['promotion_code_read'];

/** Validates a release manifest; returns the schema's errors, less the enum lag for SCHEMA_LAG permissions. */
export function schemaErrors(manifest: unknown): ErrorObject[] {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
  delete schema.$schema; // draft-07; Ajv's default meta-schema validates it without the URI
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  validate(manifest);
  return (validate.errors ?? []).filter((e) => !isLag(manifest, e));
}

function isLag(manifest: unknown, e: ErrorObject): boolean {
  const m = /^\/permissions\/(\d+)\/permission$/.exec(e.instancePath);
  if (!m || e.keyword !== 'enum') return false;
  const entry = (manifest as { permissions: Array<{ permission: string }> }).permissions[Number(m[1])];
  return SCHEMA_LAG.includes(entry.permission);
}

/** The manifest `stripe apps start --manifest` sees: the base, deep-merged with the local one's fields. */
export function extend(base: Record<string, unknown>, local: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(local)) {
    if (key === 'extends') continue;
    const prev = out[key];
    out[key] =
      isPlainObject(prev) && isPlainObject(value) ? extend(prev, value) : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
