// Records the exact requests the app sends to the backend and compares them to
// contract/requests.json, which a Go test replays against the real handlers
// (signing {"user_id":"usr_contract","account_id":"acct_contract"}).
// UPDATE_CONTRACT=1 npm test -- contract   rewrites the file.
import fs from 'fs';
import path from 'path';
import { getMockContextProps, render } from '@stripe/ui-extension-sdk/testing';
import { SettingsView } from '@stripe/ui-extension-sdk/ui';
import { fetchStripeSignature } from '@stripe/ui-extension-sdk/utils';
import AppSettings from '../src/views/AppSettings';
import { API_BASE, button, connected, fakeTracklane, json } from './helpers';

jest.mock('@stripe/ui-extension-sdk/utils', () => ({
  ...jest.requireActual('@stripe/ui-extension-sdk/utils'),
  fetchStripeSignature: jest.fn(async () => 't=1700000000,v1=contract'),
}));

const CONTRACT = path.join(__dirname, '..', 'contract', 'requests.json');

interface ContractRequest {
  name: string;
  method: string;
  path: string;
  headers: { 'Content-Type': string };
  body: string;
}

test('the requests the app sends match contract/requests.json', async () => {
  const sent = fakeTracklane({
    '/stripe-app/status': json(200, connected),
    '/stripe-app/settings': json(200, connected),
    '/stripe-app/check-now': json(200, {
      events_seen: 1,
      conversions_created: 1,
      conversions_updated: 0,
      finished_at: '2026-11-24T10:30:00Z',
    }),
    '/stripe-app/disconnect': json(200, {}),
  });
  const context = getMockContextProps({
    userContext: { id: 'usr_contract', account: { id: 'acct_contract' } },
    environment: { mode: 'test', constants: { API_BASE } },
  });
  const { wrapper, update } = render(<AppSettings {...context} />);
  await update();
  wrapper.find(SettingsView)!.trigger('onSave', { tenant_id: 'tn_contract', personal_token: 'tl_pt_contract' });
  await update();
  button(wrapper, /Check now/).trigger('onPress', {});
  await update();
  await update();
  button(wrapper, /^Disconnect$/).trigger('onPress', {});
  await update();
  button(wrapper, /Yes, disconnect/).trigger('onPress', {});
  await update();

  // "status-live": the test-mode page also reads the live connection's status.
  const first = (name: string): ContractRequest => {
    const [endpoint, mode] = name.split('-live').length > 1 ? [name.replace('-live', ''), 'live'] : [name, 'test'];
    const request = sent.find((r) => r.path === `/stripe-app/${endpoint}` && JSON.parse(r.body).mode === mode);
    if (!request) throw new Error(`the app sent no ${name} request`);
    // Every request is signed; the signature itself is the Go test's to make.
    expect(request.headers['Stripe-Signature']).toBe('t=1700000000,v1=contract');
    expect(Object.keys(request.headers).sort()).toEqual(['Content-Type', 'Stripe-Signature']);
    return {
      name,
      method: request.method ?? 'GET',
      path: request.path,
      headers: { 'Content-Type': request.headers['Content-Type'] },
      body: request.body,
    };
  };
  const recorded = ['settings', 'status', 'status-live', 'check-now', 'disconnect'].map(first);
  for (const request of recorded) {
    const body = JSON.parse(request.body);
    expect(Object.keys(body).slice(0, 3)).toEqual(['user_id', 'account_id', 'mode']);
  }
  expect(fetchStripeSignature).toHaveBeenCalled();
  for (const args of (fetchStripeSignature as jest.Mock).mock.calls) expect(args).toEqual([]);

  const text = JSON.stringify(recorded, null, 2) + '\n';
  if (process.env.UPDATE_CONTRACT === '1') {
    fs.writeFileSync(CONTRACT, text);
    return;
  }
  if (!fs.existsSync(CONTRACT)) {
    throw new Error(`${CONTRACT} is missing: run UPDATE_CONTRACT=1 npm test`);
  }
  expect(JSON.parse(fs.readFileSync(CONTRACT, 'utf8'))).toEqual(recorded);
});
