// The manifest at the repository root must validate against Stripe's schema
// (vendored in schema/, see schema/README.md) and agree with the app folder.
import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { SCHEMA_LAG } from './schema';

const APP_DIR = path.join(__dirname, '..');
const REPO = path.join(APP_DIR, '..');
const MANIFEST = path.join(REPO, 'stripe-app.json');
const SCHEMA = path.join(APP_DIR, 'schema', 'stripe-app.schema.json');

const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));

test('stripe-app.json validates against the Stripe App schema', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA, 'utf8'));
  delete schema.$schema; // draft-07; Ajv's default meta-schema validates it without the URI
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  validate(manifest);
  // Permissions newer than the schema's enum (see test/schema.ts) are the only tolerated difference.
  const lagging = (i: number) => SCHEMA_LAG.includes(manifest.permissions[i].permission);
  const errors = (validate.errors ?? []).filter(
    (e) => !(e.keyword === 'enum' && /^\/permissions\/(\d+)\/permission$/.test(e.instancePath) && lagging(Number(e.instancePath.split('/')[2]))),
  );
  expect(errors).toEqual([]);
});

test('stripe-app/stripe-app.json is a symlink to the root manifest', () => {
  const link = path.join(APP_DIR, 'stripe-app.json');
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  expect(fs.readlinkSync(link)).toBe('../stripe-app.json');
});

test('the settings view exists', () => {
  expect(manifest.ui_extension.views).toEqual([{ viewport: 'settings', component: 'AppSettings' }]);
  expect(fs.existsSync(path.join(APP_DIR, 'src', 'views', 'AppSettings.tsx'))).toBe(true);
  expect(manifest.post_install_action).toEqual({ type: 'settings' });
});

test('API_BASE is a URL whose /stripe-app/ endpoints connect-src allows', () => {
  const base: string = manifest.constants.API_BASE;
  expect(base).toMatch(/^https?:\/\/[^/]+$/);
  const allowed: string[] = manifest.ui_extension.content_security_policy['connect-src'];
  for (const endpoint of ['settings', 'status', 'check-now', 'disconnect']) {
    const url = `${base}/stripe-app/${endpoint}`;
    const covered = allowed.some((src) => (src.endsWith('/') ? url.startsWith(src) : url === src));
    expect({ url, covered }).toEqual({ url, covered: true });
  }
});

test('the app asks for read permissions only', () => {
  for (const { permission } of manifest.permissions) expect(permission).toMatch(/_read$/);
});

test('icon.png is a 300x300 PNG', () => {
  // Paths in the manifest are relative to the app folder, where the Stripe CLI runs.
  const png = fs.readFileSync(path.join(APP_DIR, manifest.icon));
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual({ width: 300, height: 300 });
});
