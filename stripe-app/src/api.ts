// A small client for Tracklane's Stripe App endpoints (SPEC §3): it builds the
// requests (POST, JSON, signed) and turns every failure into an ApiError whose
// message can be shown to the merchant as is.
import { fetchStripeSignature } from '@stripe/ui-extension-sdk/utils';

export type Mode = 'live' | 'test';

/** Who is asking: the Dashboard user, their Stripe account and the Dashboard mode. */
export interface Identity {
  user_id: string;
  account_id: string;
  mode: Mode;
}

export interface LastCheck {
  started_at: string | null;
  finished_at: string | null;
  events_seen: number | null;
  conversions_created: number | null;
  conversions_updated: number | null;
  error: string | null;
}

/** The answer of /status and /settings. When not connected, all but `connected` are null. */
export interface Status {
  connected: boolean;
  tenant_id: string | null;
  token_hint: string | null;
  last_check: LastCheck | null;
  next_check_at: string | null;
}

/** The answer of /check-now. */
export interface CheckResult {
  events_seen: number;
  conversions_created: number;
  conversions_updated: number;
  finished_at: string;
}

export const DISCONNECTED: Status = {
  connected: false,
  tenant_id: null,
  token_hint: null,
  last_check: null,
  next_check_at: null,
};

/** A failed call. `status` is the HTTP status, or null when no answer came. */
export class ApiError extends Error {
  readonly status: number | null;

  constructor(status: number | null, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export interface Deps {
  fetch: typeof fetch;
  /** Signs `{user_id, account_id}` — and nothing else: it is called without arguments. */
  sign: () => Promise<string>;
}

const defaultDeps = (): Deps => ({
  fetch: (input, init) => fetch(input, init),
  sign: () => fetchStripeSignature(),
});

/** The backend base URL from the manifest's `constants.API_BASE`, without a trailing slash. */
export function apiBaseFrom(constants: unknown): string | null {
  if (constants && typeof constants === 'object' && !Array.isArray(constants)) {
    const base = (constants as Record<string, unknown>).API_BASE;
    if (typeof base === 'string' && base.trim() !== '') return base.trim().replace(/\/+$/, '');
  }
  return null;
}

/**
 * The exact JSON body of a request: `user_id`, `account_id` first (the server
 * rebuilds the signed payload from them), then `mode`, then the rest.
 */
export function requestBody(identity: Identity, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    user_id: identity.user_id,
    account_id: identity.account_id,
    mode: identity.mode,
    ...extra,
  });
}

export class TracklaneClient {
  private readonly deps: Deps;

  constructor(
    readonly apiBase: string,
    private readonly identity: Identity,
    deps?: Partial<Deps>,
  ) {
    this.deps = { ...defaultDeps(), ...deps };
  }

  async status(): Promise<Status> {
    return asStatus(await this.post('/stripe-app/status'));
  }

  async saveSettings(tenantId: string, personalToken: string): Promise<Status> {
    return asStatus(
      await this.post('/stripe-app/settings', {
        tenant_id: tenantId,
        personal_token: personalToken,
      }),
    );
  }

  async checkNow(): Promise<CheckResult> {
    const answer = await this.post('/stripe-app/check-now');
    if (!isObject(answer) || typeof answer.events_seen !== 'number') throw unexpectedAnswer();
    return answer as unknown as CheckResult;
  }

  async disconnect(): Promise<Status> {
    const answer = await this.post('/stripe-app/disconnect');
    // The spec only promises a 200; use the status if the server sends one.
    return isObject(answer) && typeof answer.connected === 'boolean' ? (answer as unknown as Status) : DISCONNECTED;
  }

  private async post(path: string, extra?: Record<string, string>): Promise<unknown> {
    let signature: string;
    try {
      signature = await this.deps.sign();
    } catch {
      throw new ApiError(null, 'Stripe could not sign the request to Tracklane. Reload the page and try again.');
    }

    let response: Response;
    try {
      response = await this.deps.fetch(this.apiBase + path, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Stripe-Signature': signature,
        },
        body: requestBody(this.identity, extra),
      });
    } catch {
      throw new ApiError(
        null,
        `Could not reach Tracklane at ${this.apiBase}. Check that the server is running and that the app's connect-src allows it.`,
      );
    }

    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = undefined;
    }

    if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, json));
    if (json === undefined) {
      throw new ApiError(response.status, `Tracklane sent an answer that is not JSON (HTTP ${response.status}).`);
    }
    return json;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const unexpectedAnswer = () => new ApiError(200, 'Tracklane sent an answer this app does not understand.');

function asStatus(answer: unknown): Status {
  if (!isObject(answer) || typeof answer.connected !== 'boolean') throw unexpectedAnswer();
  return answer as unknown as Status;
}

function errorMessage(status: number, json: unknown): string {
  if (status === 401) {
    return "Tracklane refused the request signature. Check that STRIPE_APP_SECRET on the server is this app's signing secret.";
  }
  if (status === 503) {
    return 'Tracklane is not set up for the Stripe App: set STRIPE_APP_SECRET on the server and restart it.';
  }
  const message = serverMessage(json);
  if (message) return message;
  if (status === 409) return 'This Stripe account is not connected to Tracklane, or is held by another tenant.';
  return `Tracklane answered with HTTP ${status}.`;
}

function serverMessage(json: unknown): string | null {
  if (!json || typeof json !== 'object') return null;
  const error = (json as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return null;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && message.trim() !== '' ? message : null;
}
