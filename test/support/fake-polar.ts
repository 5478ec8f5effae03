import { createHmac, randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApp } from './test-app';

/**
 * A small stand-in for Polar's API on 127.0.0.1 (real HTTP): records every call,
 * answers scripted failures, and implements what NullPass calls:
 * GET/DELETE /v1/subscriptions/{id}, POST /v1/checkouts/, POST /v1/customer-sessions/.
 * Like Polar it answers 401 without a bearer token, 404 for an unknown subscription and
 * 403 AlreadyCanceledSubscription when revoking a revoked one.
 */
export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Script {
  method?: string;
  path: string;
  status: number;
  body: unknown;
  remaining: number;
  delayMs: number;
}

export interface FakeSubscription {
  id: string;
  status: string;
  amount: number;
  currency: string;
  recurring_interval: string;
  current_period_start: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  customer_id: string;
  product_id: string;
  metadata: Record<string, unknown>;
  product: { id: string; name: string };
}

export class FakePolar {
  readonly calls: RecordedCall[] = [];
  readonly subscriptions = new Map<string, FakeSubscription>();
  private scripts: Script[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakePolar> {
    const server = createServer();
    const fake = new FakePolar(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forget calls and scripts (subscriptions stay). */
  reset(): void {
    this.calls.length = 0;
    this.scripts = [];
  }

  /** The next `times` calls to `path` (and `method`, if given) answer `status`. */
  fail(path: string, status: number, times = 1, options: { method?: string; body?: unknown } = {}): void {
    this.scripts.push({ path, status, remaining: times, method: options.method, body: options.body ?? { error: 'Scripted', detail: `HTTP ${status}` }, delayMs: 0 });
  }

  /** The next `times` calls to `path` answer only after `delayMs` (to trip the client's timeout). */
  hang(path: string, delayMs: number, times = 1): void {
    this.scripts.push({ path, status: 200, remaining: times, body: {}, delayMs });
  }

  /** A subscription Polar knows (what GET returns and DELETE revokes). */
  addSubscription(partial: Partial<FakeSubscription> & { id: string }): FakeSubscription {
    const sub: FakeSubscription = {
      status: 'active',
      amount: 999,
      currency: 'eur',
      recurring_interval: 'month',
      current_period_start: '2025-01-01T12:00:00.000Z',
      current_period_end: '2025-02-01T12:00:00.000Z',
      cancel_at_period_end: false,
      customer_id: `cus_${randomUUID()}`,
      product_id: 'prod_premium_monthly',
      metadata: {},
      product: { id: 'prod_premium_monthly', name: 'DROP Premium' },
      ...partial,
    };
    this.subscriptions.set(sub.id, sub);
    return sub;
  }

  callsTo(method: string, path: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // kept as text
    }
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    this.calls.push({ method, path, headers: req.headers, body });

    const script = this.scripts.find((s) => s.remaining > 0 && s.path === path && (!s.method || s.method === method));
    if (script) {
      script.remaining -= 1;
      if (script.delayMs) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!res.destroyed) this.send(res, script.status, script.body);
        }, script.delayMs);
        this.timers.add(timer);
        return;
      }
      this.send(res, script.status, script.body);
      return;
    }
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      this.send(res, 401, { error: 'Unauthorized', detail: 'Missing bearer token' });
      return;
    }
    this.route(method, path, body, res);
  }

  private route(method: string, path: string, body: unknown, res: ServerResponse): void {
    const sub = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (sub) {
      const found = this.subscriptions.get(decodeURIComponent(sub[1]));
      if (!found) return this.send(res, 404, { error: 'ResourceNotFound', detail: 'Not found' });
      if (method === 'GET') return this.send(res, 200, found);
      if (method === 'DELETE') {
        if (found.status === 'canceled') {
          return this.send(res, 403, { error: 'AlreadyCanceledSubscription', detail: 'This subscription is already canceled or will be at the end of the period.' });
        }
        found.status = 'canceled';
        return this.send(res, 200, found);
      }
    }
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === 'POST' && path === '/v1/checkouts/') {
      const id = `polar_c_${randomUUID().replace(/-/g, '')}`;
      return this.send(res, 201, { id, url: `https://sandbox.polar.test/checkout/${id}`, status: 'open', ...input });
    }
    if (method === 'POST' && path === '/v1/customer-sessions/') {
      const token = `polar_cst_${randomUUID().replace(/-/g, '')}`;
      return this.send(res, 201, {
        id: randomUUID(),
        token,
        customer_id: input.customer_id,
        customer_portal_url: `https://sandbox.polar.test/portal?customer_session_token=${token}`,
      });
    }
    this.send(res, 404, { error: 'ResourceNotFound', detail: `No route ${method} ${path}` });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** Signs a delivery as Polar does (Standard Webhooks, key = the secret's UTF-8 bytes). */
export function signWebhook(secret: string, id: string, timestamp: number | string, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Polar's subscription.* payload (snake_case), with the metadata our checkout sets. */
export function subscriptionEvent(
  type: string,
  options: { id: string; userId?: string; plan?: string; status?: string; customerId?: string; extra?: Record<string, unknown> },
): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (options.userId !== undefined) metadata.userId = options.userId;
  if (options.plan !== undefined) metadata.plan = options.plan;
  return {
    type,
    timestamp: new Date().toISOString(),
    data: {
      created_at: '2025-01-01T12:00:00.000Z',
      modified_at: null,
      id: options.id,
      amount: 999,
      currency: 'eur',
      recurring_interval: 'month',
      status: options.status ?? 'active',
      current_period_start: '2025-01-01T12:00:00.000Z',
      current_period_end: '2025-02-01T12:00:00.000Z',
      cancel_at_period_end: false,
      canceled_at: null,
      started_at: '2025-01-01T12:00:00.000Z',
      ends_at: null,
      ended_at: null,
      customer_id: options.customerId ?? `cus_${options.id}`,
      product_id: 'prod_premium_monthly',
      discount_id: null,
      checkout_id: null,
      metadata,
      customer: { id: options.customerId ?? `cus_${options.id}`, email: 'someone@example.com', metadata: {} },
      product: { id: 'prod_premium_monthly', name: 'DROP Premium', is_recurring: true },
      prices: [],
      ...options.extra,
    },
  };
}

/** Polar's customer.* payload. */
export function customerEvent(type: string, options: { id: string; email?: string; userId?: string }): Record<string, unknown> {
  return {
    type,
    timestamp: new Date().toISOString(),
    data: {
      id: options.id,
      created_at: '2025-01-01T12:00:00.000Z',
      modified_at: null,
      metadata: options.userId !== undefined ? { userId: options.userId } : {},
      external_id: null,
      email: options.email ?? 'someone@example.com',
      email_verified: true,
      name: 'Someone',
      billing_address: null,
      tax_id: null,
      organization_id: randomUUID(),
      deleted_at: null,
      avatar_url: null,
    },
  };
}

export interface WebhookDelivery {
  /** drop, mails, vault or db. */
  service?: string;
  secret: string;
  event?: unknown;
  /** The exact bytes sent (default: JSON of `event`). */
  body?: string;
  id?: string;
  /** Unix seconds (default: the app's clock now). */
  timestamp?: number;
  /** Replaces the computed webhook-signature header. */
  signature?: string;
  /** Headers left out of the request. */
  omit?: ('webhook-id' | 'webhook-timestamp' | 'webhook-signature')[];
}

/** Sends a signed webhook to the app as Polar would. */
export function deliverWebhook(t: TestApp, delivery: WebhookDelivery) {
  const id = delivery.id ?? `msg_${randomUUID()}`;
  const timestamp = delivery.timestamp ?? Math.floor(t.clock.nowMs() / 1000);
  const body = delivery.body ?? JSON.stringify(delivery.event);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': delivery.signature ?? signWebhook(delivery.secret, id, timestamp, body),
  };
  for (const name of delivery.omit ?? []) delete headers[name];
  return t.http().post(`/api/webhooks/${delivery.service ?? 'drop'}`).set(headers).send(body);
}
