import { Banner, Button } from '@stripe/ui-extension-sdk/ui';
import type { Status } from '../src/api';

export const API_BASE = 'http://localhost:8080';

/** A request as the app sent it. */
export interface Sent {
  path: string;
  method: string | undefined;
  headers: Record<string, string>;
  body: string;
}

type Answer = Response | Promise<Response> | ((body: string) => Response | Promise<Response>);

/**
 * An answer of the fake server. Not a real Response: undici reads bodies over
 * several event-loop turns, which would make `update()` racy; this one settles
 * in microtasks and can be read any number of times.
 */
export const answer = (status: number, text: string): Response =>
  ({ status, ok: status >= 200 && status < 300, text: async () => text }) as Response;

export const json = (status: number, body: unknown): Response => answer(status, JSON.stringify(body));

export const error = (status: number, message: string): Response => json(status, { error: { message } });

/**
 * Replaces global fetch with a fake Tracklane: each path answers from `routes`
 * (a function is called per request). Returns the list of requests sent.
 */
export function fakeTracklane(routes: Record<string, Answer>): Sent[] {
  const sent: Sent[] = [];
  global.fetch = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (!url.startsWith(API_BASE)) throw new TypeError(`fetch to unexpected URL ${url}`);
    const path = url.slice(API_BASE.length);
    sent.push({
      path,
      method: init?.method,
      headers: { ...(init?.headers as Record<string, string>) },
      body: String(init?.body),
    });
    const route = routes[path];
    if (route === undefined) return error(404, `no route ${path}`);
    return typeof route === 'function' ? route(String(init?.body)) : route;
  }) as typeof fetch;
  return sent;
}

export const connected: Status = {
  connected: true,
  tenant_id: 'tn_123',
  token_hint: '…abcd',
  last_check: {
    started_at: '2026-11-24T10:00:00Z',
    finished_at: '2026-11-24T10:00:02Z',
    events_seen: 12,
    conversions_created: 3,
    conversions_updated: 1,
    error: null,
  },
  next_check_at: '2026-11-24T11:00:00Z',
};

export const disconnected: Status = {
  connected: false,
  tenant_id: null,
  token_hint: null,
  last_check: null,
  next_check_at: null,
};

type Wrapper = {
  findAll: (type: typeof Banner | typeof Button) => Array<{ props: any; text: string; trigger: (...a: any[]) => any }>;
};

/** Title and description of every banner shown, but the test-mode banner every test-mode page has. */
export const banners = (wrapper: Wrapper): string[] =>
  wrapper
    .findAll(Banner)
    .filter((b) => b.props.title !== 'Test mode')
    .map((b) => `${b.props.title ?? ''}: ${b.props.description ?? ''}`);

/** The test-mode banner, if shown. */
export const modeBanner = (wrapper: Wrapper) => wrapper.findAll(Banner).find((b) => b.props.title === 'Test mode');

/** The requests about the page's own mode (the page also reads the other mode's status). */
export const inMode = (sent: Sent[], mode: 'live' | 'test') => sent.filter((r) => JSON.parse(r.body).mode === mode);

/** Answers a status request by the mode in its body. */
export const byMode =
  (answers: { live: Response; test: Response }) =>
  (body: string): Response =>
    JSON.parse(body).mode === 'live' ? answers.live : answers.test;

export const button = (wrapper: Wrapper, label: RegExp) => {
  const found = wrapper.findAll(Button).find((b) => label.test(b.text));
  if (!found) throw new Error(`no button matching ${label}`);
  return found;
};

export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
