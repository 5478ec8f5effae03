import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AxiosError, type Method } from 'axios';
import { firstValueFrom } from 'rxjs';
import { polarConfig } from '../config/configuration';
import type { PolarCheckout, PolarCheckoutCreate, PolarCustomerSession, PolarErrorBody, PolarSubscription } from './polar.types';

export type PolarFailureKind = 'not-configured' | 'http' | 'timeout' | 'network' | 'invalid-response';

/**
 * Why a call to Polar did not succeed. The message is safe to log and to store as an
 * outbox row's lastError: it never carries the access token or request headers.
 */
export class PolarError extends Error {
  constructor(
    readonly kind: PolarFailureKind,
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'PolarError';
  }

  /** Polar's answer to revoking what is already revoked (403 AlreadyCanceledSubscription). */
  get alreadyCanceled(): boolean {
    const body = this.body as PolarErrorBody | string | undefined;
    if (typeof body === 'string') return /already[ _-]?cancel/i.test(body);
    if (!body || typeof body !== 'object') return false;
    return body.error === 'AlreadyCanceledSubscription' || /already[ _-]?cancel/i.test(String(body.detail ?? ''));
  }
}

/**
 * The one way NullPass talks to Polar: base URL POLAR_API_URL, bearer POLAR_ACCESS_TOKEN,
 * timeout POLAR_TIMEOUT_MS (HttpModule, configured in BillingModule). Without a token
 * nothing is sent: every call fails with kind "not-configured".
 */
@Injectable()
export class PolarClient {
  constructor(
    private readonly http: HttpService,
    @Inject(polarConfig.KEY) private readonly config: ConfigType<typeof polarConfig>,
  ) {}

  get configured(): boolean {
    return Boolean(this.config.accessToken);
  }

  async getSubscription(id: string): Promise<PolarSubscription> {
    const body = await this.request('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
    return asSubscription(body);
  }

  /** Revokes at once (as the seeds' code does). Polar answers the revoked subscription. */
  async revokeSubscription(id: string): Promise<void> {
    await this.request('DELETE', `/v1/subscriptions/${encodeURIComponent(id)}`);
  }

  async createCheckout(input: PolarCheckoutCreate): Promise<PolarCheckout> {
    const body = await this.request('POST', '/v1/checkouts/', input);
    const url = httpUrl(pick(body, 'url'));
    const id = pick(body, 'id');
    if (!url || typeof id !== 'string') throw new PolarError('invalid-response', 'Polar checkout answer has no usable url');
    return { id, url };
  }

  async createCustomerSession(customerId: string): Promise<PolarCustomerSession> {
    const body = await this.request('POST', '/v1/customer-sessions/', { customer_id: customerId });
    const url = httpUrl(pick(body, 'customer_portal_url'));
    const id = pick(body, 'id');
    if (!url || typeof id !== 'string') throw new PolarError('invalid-response', 'Polar customer session answer has no usable customer_portal_url');
    return { id, customer_portal_url: url };
  }

  private async request(method: Method, path: string, data?: unknown): Promise<unknown> {
    const token = this.config.accessToken;
    if (!token) throw new PolarError('not-configured', 'POLAR_ACCESS_TOKEN is not set');
    try {
      const res = await firstValueFrom(
        this.http.request<unknown>({
          method,
          url: path,
          data,
          headers: { Authorization: `Bearer ${token}` },
          // Every status is classified here (404 and 403 mean different things to callers).
          validateStatus: () => true,
        }),
      );
      if (res.status >= 200 && res.status < 300) return res.data;
      throw new PolarError('http', `Polar answered ${res.status} to ${method} ${path.split('/').slice(0, 3).join('/')}`, res.status, res.data);
    } catch (error) {
      if (error instanceof PolarError) throw error;
      const e = error as AxiosError;
      if (e.code === AxiosError.ECONNABORTED || e.code === AxiosError.ETIMEDOUT) {
        throw new PolarError('timeout', `Polar did not answer within ${this.config.timeoutMs} ms`);
      }
      // Only the error code: an AxiosError carries the request config, token included.
      throw new PolarError('network', `Polar unreachable (${e.code ?? 'network error'})`);
    }
  }
}

function pick(body: unknown, key: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : null;
  } catch {
    return null;
  }
}

/** Checks the fields GET /api/subscription relies on; anything else is Polar's to add. */
function asSubscription(body: unknown): PolarSubscription {
  const s = body as Partial<PolarSubscription> | null;
  const ok =
    !!s &&
    typeof s === 'object' &&
    typeof s.id === 'string' &&
    typeof s.status === 'string' &&
    typeof s.current_period_start === 'string' &&
    !Number.isNaN(Date.parse(s.current_period_start)) &&
    (s.current_period_end == null || (typeof s.current_period_end === 'string' && !Number.isNaN(Date.parse(s.current_period_end))));
  if (!ok) throw new PolarError('invalid-response', 'Polar subscription answer is missing id, status or period');
  return Object.assign({}, s as PolarSubscription, {
    amount: typeof s.amount === 'number' ? s.amount : null,
    currency: typeof s.currency === 'string' ? s.currency : null,
    recurring_interval: typeof s.recurring_interval === 'string' ? s.recurring_interval : null,
    current_period_end: s.current_period_end ?? null,
    cancel_at_period_end: s.cancel_at_period_end === true,
    metadata: s.metadata && typeof s.metadata === 'object' ? s.metadata : {},
    product: s.product && typeof s.product === 'object' && typeof s.product.name === 'string' ? s.product : null,
  });
}
