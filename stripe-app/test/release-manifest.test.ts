// The release manifest (stripe-app.json) and the local one
// (stripe-app.local.json), both written by `go run ./server stripe-app manifest`,
// against Stripe's published JSON schema and against the upload rules Stripe
// documents, which the schema does not express (it accepts http://).
import fs from 'fs';
import path from 'path';
import { extend, SCHEMA_LAG, schemaErrors } from './schema';

const APP_DIR = path.join(__dirname, '..');
const REPO = path.join(APP_DIR, '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO, file), 'utf8'));
const release = read('stripe-app.json');
const local = read('stripe-app.local.json');

/** Stripe's upload rules for what the UI connects to (app manifest reference: "We only allow HTTPS schemes"). */
function uploadProblems(manifest: any): string[] {
  const problems: string[] = [];
  const sources: string[] = manifest.ui_extension?.content_security_policy?.['connect-src'] ?? [];
  for (const src of sources) {
    const url = new URL(src);
    if (url.protocol !== 'https:') problems.push(`${src}: not https`);
    if (url.pathname === '/' || url.pathname === '') problems.push(`${src}: no path`);
    if (/^(localhost|127\.|\[::1\])/.test(url.hostname) || url.hostname.endsWith('.localhost')) problems.push(`${src}: localhost`);
    if (!url.hostname.includes('.')) problems.push(`${src}: not a registrable domain`);
  }
  const base: string = manifest.constants?.API_BASE ?? '';
  if (!base.startsWith('https://')) problems.push(`API_BASE ${base}: not https`);
  if (!sources.includes(`${base}/stripe-app/`)) problems.push(`connect-src does not allow ${base}/stripe-app/`);
  for (const p of manifest.permissions ?? []) {
    if (typeof p.purpose !== 'string' || p.purpose.trim() === '') problems.push(`${p.permission}: no purpose`);
  }
  // Sandbox installs stay off until a request can be told from a test-mode
  // one (docs/deploy.md, "Sandboxes"; the Go rule in server/appmanifest).
  if (manifest.sandbox_install_compatible !== false) problems.push('sandbox_install_compatible is not false');
  if (!['private', 'public'].includes(manifest.distribution_type)) problems.push('distribution_type');
  if (manifest.id === 'com.tracklane.affiliates') problems.push('the project-wide app id');
  if (manifest.distribution_type === 'public' && /\b(stripe|app|free|paid)\b/i.test(manifest.name)) problems.push('public name');
  return problems;
}

describe('release manifest', () => {
  test('validates against the Stripe App schema (but for permissions newer than it)', () => {
    expect(schemaErrors(release)).toEqual([]);
  });

  test('the schema tolerance is only for the lagging permissions', () => {
    expect(schemaErrors({ ...release, permissions: [{ permission: 'invented_read', purpose: 'x' }] })).not.toEqual([]);
    const lagging = release.permissions.filter((p: { permission: string }) => SCHEMA_LAG.includes(p.permission));
    expect(lagging.map((p: { permission: string }) => p.permission)).toEqual(SCHEMA_LAG);
  });

  test('passes the upload rules', () => {
    expect(uploadProblems(release)).toEqual([]);
  });

  test('holds example values, clearly marked as such', () => {
    expect(release.id).toBe('com.example.tracklane');
    expect(release.constants.API_BASE).toBe('https://tracklane.example.com');
    expect(release.distribution_type).toBe('private');
  });

  test('the schema alone would accept an http connect-src; the upload rules do not', () => {
    const http = {
      ...release,
      ui_extension: {
        ...release.ui_extension,
        content_security_policy: { ...release.ui_extension.content_security_policy, 'connect-src': ['http://localhost:8080/stripe-app/'] },
      },
      constants: { API_BASE: 'http://localhost:8080' },
    };
    expect(schemaErrors(http)).toEqual([]);
    expect(uploadProblems(http)).toEqual(
      expect.arrayContaining(['http://localhost:8080/stripe-app/: not https', 'http://localhost:8080/stripe-app/: localhost']),
    );
  });

  test('the schema refuses a connect-src without a path', () => {
    const bare = {
      ...release,
      ui_extension: {
        ...release.ui_extension,
        content_security_policy: { ...release.ui_extension.content_security_policy, 'connect-src': ['https://tracklane.example.com'] },
      },
    };
    expect(schemaErrors(bare)).not.toEqual([]);
  });
});

describe('local manifest', () => {
  test('extends the release manifest with the localhost values only', () => {
    expect(Object.keys(local).sort()).toEqual(['constants', 'extends', 'ui_extension']);
    // stripe-app-local.schema.json: extends names a stripe-app*.json file
    expect(local.extends).toMatch(/^(\.\/)?((\.\.\/)+)?(([a-zA-Z0-9-_]+\/)+)?stripe-app(\.[a-zA-Z0-9-_]+)?\.json$/);
    expect(local.extends).toBe('stripe-app.json');
    expect(local.constants.API_BASE).toBe('http://localhost:8080');
    expect(local.ui_extension.content_security_policy['connect-src']).toEqual(['http://localhost:8080/stripe-app/']);
  });

  test('merged with the release manifest, it validates against the schema', () => {
    const merged = extend(release, local);
    expect(schemaErrors(merged)).toEqual([]);
    expect((merged as any).ui_extension.content_security_policy.purpose).toBe(release.ui_extension.content_security_policy.purpose);
    expect((merged as any).constants.API_BASE).toBe('http://localhost:8080');
  });

  test('is reachable from stripe-app/, where the Stripe CLI runs', () => {
    const link = path.join(APP_DIR, 'stripe-app.local.json');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe('../stripe-app.local.json');
  });
});

test('the vendored schema keeps its licence beside it', () => {
  expect(fs.readFileSync(path.join(APP_DIR, 'schema', 'LICENSE-stripe-apps'), 'utf8')).toContain('Stripe');
});
