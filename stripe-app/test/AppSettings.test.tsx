import { getMockContextProps, render } from '@stripe/ui-extension-sdk/testing';
import { SettingsView, TextField } from '@stripe/ui-extension-sdk/ui';
import { fetchStripeSignature } from '@stripe/ui-extension-sdk/utils';
import AppSettings from '../src/views/AppSettings';
import {
  answer,
  API_BASE,
  banners,
  button,
  byMode,
  connected,
  deferred,
  disconnected,
  error,
  fakeTracklane,
  inMode,
  json,
  modeBanner,
} from './helpers';

jest.mock('@stripe/ui-extension-sdk/utils', () => ({
  ...jest.requireActual('@stripe/ui-extension-sdk/utils'),
  fetchStripeSignature: jest.fn(),
}));
const sign = fetchStripeSignature as jest.MockedFunction<typeof fetchStripeSignature>;

const props = (mode: 'live' | 'test' = 'test') =>
  getMockContextProps({
    userContext: { id: 'usr_1', account: { id: 'acct_1' } },
    environment: { mode, constants: { API_BASE } },
  });

const mount = async (mode: 'live' | 'test' = 'test') => {
  const rendered = render(<AppSettings {...props(mode)} />);
  await rendered.update();
  await rendered.update();
  return rendered;
};

/** Presses Disconnect, then confirms. */
const disconnectConfirmed = async (wrapper: any, update: () => Promise<void>) => {
  button(wrapper, /^Disconnect$/).trigger('onPress', {});
  await update();
  button(wrapper, /Yes, disconnect/).trigger('onPress', {});
  await update();
};

beforeEach(() => {
  sign.mockReset();
  sign.mockResolvedValue('t=1700000000,v1=signature');
});

test('shows the connection status on load', async () => {
  const sent = fakeTracklane({ '/stripe-app/status': json(200, connected) });
  const { wrapper } = await mount();

  expect(sent).toHaveLength(2);
  expect(sent[0]).toEqual({
    path: '/stripe-app/status',
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': 't=1700000000,v1=signature' },
    body: '{"user_id":"usr_1","account_id":"acct_1","mode":"test"}',
  });
  // The live connection's state is read too, and shown.
  expect(JSON.parse(sent[1].body)).toEqual({ user_id: 'usr_1', account_id: 'acct_1', mode: 'live' });
  expect(wrapper).toContainText('Live mode: connected to tenant tn_123.');
  expect(wrapper).toContainText('Connected to tenant tn_123 with token …abcd.');
  expect(wrapper).toContainText('12 events seen, 3 conversions created, 1 updated.');
  expect(wrapper).toContainText('Next check:');
  expect(wrapper.find(TextField, { name: 'tenant_id' })!.props.value).toBe('tn_123');
});

test('shows a failed last check', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, {
      ...connected,
      last_check: { ...connected.last_check, events_seen: null, error: 'Stripe: invalid API key' },
    }),
  });
  const { wrapper } = await mount();
  expect(wrapper).toContainText('Last check failed');
  expect(wrapper).toContainText('Stripe: invalid API key');
});

test('shows when not connected, with the actions disabled', async () => {
  fakeTracklane({ '/stripe-app/status': json(200, disconnected) });
  const { wrapper } = await mount();
  expect(wrapper).toContainText('Not connected in test mode.');
  expect(button(wrapper, /Check now/).props.disabled).toBe(true);
  expect(button(wrapper, /^Disconnect$/).props.disabled).toBe(true);
});

test('Save sends the settings and shows the token hint', async () => {
  const sent = fakeTracklane({
    '/stripe-app/status': json(200, disconnected),
    '/stripe-app/settings': json(200, { ...connected, tenant_id: 'tn_9', token_hint: '…wxyz', last_check: null }),
  });
  const { wrapper, update } = await mount();

  const token = wrapper.find(TextField, { name: 'personal_token' })!;
  expect(token.props.type).toBe('password');

  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_9', personal_token: 'tl_pt_secret_wxyz' });
  await update();

  expect(inMode(sent, 'test').map((r) => r.path)).toEqual(['/stripe-app/status', '/stripe-app/settings']);
  expect(inMode(sent, 'test')[1].body).toBe(
    '{"user_id":"usr_1","account_id":"acct_1","mode":"test","tenant_id":"tn_9","personal_token":"tl_pt_secret_wxyz"}',
  );
  expect(inMode(sent, 'test')[1].headers['Content-Type']).toBe('application/json');
  expect(wrapper).toContainText('Connected to tenant tn_9 with token …wxyz.');
  expect(wrapper.find(SettingsView)!.props.statusMessage).toBe('Saved');
  // The token is not kept in the form once saved.
  expect(wrapper.find(TextField, { name: 'personal_token' })!.props.value).toBe('');
});

test('Save uses what was typed in the fields', async () => {
  const sent = fakeTracklane({
    '/stripe-app/status': json(200, disconnected),
    '/stripe-app/settings': json(200, connected),
  });
  const { wrapper, update } = await mount();
  wrapper.find(TextField, { name: 'tenant_id' })!.trigger('onChange', { target: { value: 'tn_typed' } });
  wrapper.find(TextField, { name: 'personal_token' })!.trigger('onChange', { target: { value: 'tl_pt_typed' } });
  wrapper.find(SettingsView)!.trigger('onSave', {});
  await update();
  expect(JSON.parse(inMode(sent, 'test')[1].body)).toMatchObject({ tenant_id: 'tn_typed', personal_token: 'tl_pt_typed' });
});

test('Save without a token sends nothing and says what is missing', async () => {
  const sent = fakeTracklane({ '/stripe-app/status': json(200, disconnected) });
  const { wrapper, update } = await mount();
  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_9', personal_token: '' });
  await update();
  expect(sent.map((r) => r.path)).toEqual(['/stripe-app/status', '/stripe-app/status']);
  expect(banners(wrapper).join()).toContain('Enter your Tracklane tenant ID and a personal token.');
});

test('422 from Save shows the server message', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, disconnected),
    '/stripe-app/settings': error(422, 'this token is not a live token of tenant tn_9'),
  });
  const { wrapper, update } = await mount();
  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_9', personal_token: 'tl_pt_wrong' });
  await update();
  expect(banners(wrapper)).toEqual(['Not saved: this token is not a live token of tenant tn_9']);
  expect(wrapper).toContainText('Not connected in test mode.');
});

test('409 from Save shows the server message', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, disconnected),
    '/stripe-app/settings': error(409, 'another tenant already holds this Stripe account'),
  });
  const { wrapper, update } = await mount();
  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_9', personal_token: 'tl_pt_x' });
  await update();
  expect(banners(wrapper)).toEqual(['Not saved: another tenant already holds this Stripe account']);
});

test('Check Now is pending while in flight, then shows the result', async () => {
  const later = deferred<Response>();
  const sent = fakeTracklane({
    '/stripe-app/status': json(200, connected),
    '/stripe-app/check-now': () => later.promise,
  });
  const { wrapper, update } = await mount();

  button(wrapper, /Check now/).trigger('onPress', {});
  await update();
  const pending = button(wrapper, /Checking…/);
  expect(pending.props.pending).toBe(true);
  expect(pending.props.disabled).toBe(true);
  expect(inMode(sent, 'test')[1]).toMatchObject({
    path: '/stripe-app/check-now',
    method: 'POST',
    body: '{"user_id":"usr_1","account_id":"acct_1","mode":"test"}',
  });

  later.resolve(
    json(200, { events_seen: 40, conversions_created: 5, conversions_updated: 2, finished_at: '2026-11-24T10:30:00Z' }),
  );
  await update();
  await update();

  const done = button(wrapper, /Check now/);
  expect(done.props.pending).toBe(false);
  expect(done.props.disabled).toBe(false);
  expect(banners(wrapper).join()).toContain('40 events seen, 5 conversions created, 2 updated.');
  // The status is read again to show the new last check.
  expect(inMode(sent, 'test').map((r) => r.path)).toEqual(['/stripe-app/status', '/stripe-app/check-now', '/stripe-app/status']);
});

test('Check Now shows the message when Stripe refuses the key (502)', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, connected),
    '/stripe-app/check-now': error(502, 'Stripe refused the key: Invalid API Key provided'),
  });
  const { wrapper, update } = await mount();
  button(wrapper, /Check now/).trigger('onPress', {});
  await update();
  expect(banners(wrapper)).toEqual(['Check failed: Stripe refused the key: Invalid API Key provided']);
  expect(button(wrapper, /Check now/).props.pending).toBe(false);
});

test('Check Now shows the message when not connected (409)', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, connected),
    '/stripe-app/check-now': error(409, 'this account is not connected'),
  });
  const { wrapper, update } = await mount();
  button(wrapper, /Check now/).trigger('onPress', {});
  await update();
  expect(banners(wrapper)).toEqual(['Check failed: this account is not connected']);
});

test('Disconnect asks for confirmation, then sends the request and shows the account as not connected', async () => {
  const sent = fakeTracklane({
    '/stripe-app/status': json(200, connected),
    '/stripe-app/disconnect': json(200, {}),
  });
  const { wrapper, update } = await mount();
  button(wrapper, /^Disconnect$/).trigger('onPress', {});
  await update();
  // Nothing is sent before the merchant confirms.
  expect(sent.map((r) => r.path)).not.toContain('/stripe-app/disconnect');
  expect(wrapper).toContainText('Disconnect this account in test mode?');
  expect(button(wrapper, /^Disconnect$/).props.disabled).toBe(true);
  button(wrapper, /Yes, disconnect/).trigger('onPress', {});
  await update();
  expect(inMode(sent, 'test')[1]).toMatchObject({
    path: '/stripe-app/disconnect',
    body: '{"user_id":"usr_1","account_id":"acct_1","mode":"test"}',
  });
  expect(wrapper).toContainText('Not connected in test mode.');
});

test('Cancel keeps the connection', async () => {
  const sent = fakeTracklane({ '/stripe-app/status': json(200, connected) });
  const { wrapper, update } = await mount();
  button(wrapper, /^Disconnect$/).trigger('onPress', {});
  await update();
  button(wrapper, /Cancel/).trigger('onPress', {});
  await update();
  expect(wrapper).not.toContainText('Disconnect this account');
  expect(sent.map((r) => r.path)).not.toContain('/stripe-app/disconnect');
  expect(wrapper).toContainText('Connected to tenant tn_123');
});

test('test mode says so: a badge and a banner about test conversions and live settings', async () => {
  fakeTracklane({ '/stripe-app/status': byMode({ test: json(200, connected), live: json(200, disconnected) }) });
  const { wrapper } = await mount('test');
  expect(wrapper).toContainText('Test mode');
  const banner = modeBanner(wrapper);
  expect(banner).toBeDefined();
  expect(String(banner!.props.description)).toContain('"test"');
  expect(String(banner!.props.description)).toContain('save the same settings there');
  // The live connection is not there yet, and the page says what that means.
  expect(wrapper).toContainText('Live mode: not connected. Live payments are not tracked until these settings are saved in live mode.');
});

test('test mode shows a live connection and its failing check', async () => {
  fakeTracklane({
    '/stripe-app/status': byMode({
      test: json(200, disconnected),
      live: json(200, { ...connected, tenant_id: 'tn_live', last_check: { ...connected.last_check, error: 'Stripe refused access' } }),
    }),
  });
  const { wrapper } = await mount('test');
  expect(wrapper).toContainText('Not connected in test mode.');
  expect(wrapper).toContainText('Live mode: connected to tenant tn_live. Its last check failed: Stripe refused access');
});

test('live mode says so, has no test-mode banner, and shows the test connection', async () => {
  const sent = fakeTracklane({ '/stripe-app/status': byMode({ live: json(200, connected), test: json(200, disconnected) }) });
  const { wrapper } = await mount('live');
  expect(wrapper).toContainText('Live mode');
  expect(modeBanner(wrapper)).toBeUndefined();
  expect(sent.map((r) => JSON.parse(r.body).mode)).toEqual(['live', 'test']);
  expect(wrapper).toContainText('Connected to tenant tn_123');
  expect(wrapper).toContainText('Test mode: not connected.');
});

test("the other mode's status failing does not hide this mode's", async () => {
  fakeTracklane({ '/stripe-app/status': byMode({ test: json(200, connected), live: error(500, 'boom') }) });
  const { wrapper } = await mount('test');
  expect(wrapper).toContainText('Connected to tenant tn_123');
  expect(wrapper).toContainText('Live mode: status unknown (boom)');
  expect(banners(wrapper)).toEqual([]);
});

test('a network failure says Tracklane could not be reached', async () => {
  global.fetch = jest.fn(async () => {
    throw new TypeError('Failed to fetch');
  }) as typeof fetch;
  const { wrapper } = await mount();
  expect(banners(wrapper).join()).toContain(`Could not reach Tracklane at ${API_BASE}`);
});

test('401 says the signature was refused', async () => {
  fakeTracklane({ '/stripe-app/status': error(401, 'bad signature') });
  const { wrapper } = await mount();
  expect(banners(wrapper).join()).toContain('Tracklane refused the request signature');
});

test('503 says the server is not set up for the Stripe App', async () => {
  fakeTracklane({ '/stripe-app/status': error(503, 'stripe app not configured') });
  const { wrapper } = await mount();
  expect(banners(wrapper).join()).toContain('not set up for the Stripe App');
});

test('an error without the JSON shape still shows the HTTP status', async () => {
  fakeTracklane({ '/stripe-app/status': answer(500, 'Internal Server Error') });
  const { wrapper } = await mount();
  expect(banners(wrapper).join()).toContain('HTTP 500');
});

test('without API_BASE the view says the manifest is incomplete and sends nothing', async () => {
  const sent = fakeTracklane({});
  const context = getMockContextProps({ environment: { mode: 'test', constants: {} } });
  const { wrapper, update } = render(<AppSettings {...context} />);
  await update();
  expect(sent).toHaveLength(0);
  expect(banners(wrapper).join()).toContain('API_BASE');
});

test('the signature never covers the token: fetchStripeSignature gets no payload', async () => {
  fakeTracklane({
    '/stripe-app/status': json(200, disconnected),
    '/stripe-app/settings': json(200, connected),
    '/stripe-app/check-now': json(200, { events_seen: 0, conversions_created: 0, conversions_updated: 0, finished_at: '2026-11-24T10:30:00Z' }),
    '/stripe-app/disconnect': json(200, {}),
  });
  const { wrapper, update } = await mount();
  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_9', personal_token: 'tl_pt_never_signed' });
  await update();
  button(wrapper, /Check now/).trigger('onPress', {});
  await update();
  await update();
  await disconnectConfirmed(wrapper, update);

  expect(sign.mock.calls.length).toBeGreaterThanOrEqual(6);
  for (const args of sign.mock.calls) expect(args).toEqual([]);
  expect(JSON.stringify(sign.mock.calls)).not.toContain('tl_pt_never_signed');
});
