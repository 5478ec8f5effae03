import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import * as speakeasy from 'speakeasy';
import { MIGRATIONS } from '../migrations';
import { Messages } from '../src/common/messages';
import { AppProcess, startAppProcess } from './support/app-process';
import { FakePolar, signWebhook, subscriptionEvent } from './support/fake-polar';
import { TcpProxy } from './support/tcp-proxy';

/**
 * Several NullPass instances behind the gateway on one PostgreSQL and one Redis: every
 * protection must hold across real processes. Runs when TEST_DATABASE_URL (PostgreSQL)
 * and TEST_REDIS_URL are set (.ci/run sets both); run serially.
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const enabled = !!pgUrl?.startsWith('postgres') && !!redisUrl;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(app: AppProcess, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const email = () => `mi.${randomBytes(5).toString('hex')}@example.com`;

(enabled ? describe : describe.skip)('Many instances on one PostgreSQL and one Redis', () => {
  const schema = `np_mi_${randomBytes(4).toString('hex')}`;
  const proxy = new TcpProxy(new URL(pgUrl ?? 'postgres://127.0.0.1:5432').hostname, Number(new URL(pgUrl ?? 'postgres://x:5432').port || 5432));
  let a: AppProcess;
  let b: AppProcess;
  let env: Record<string, string>;
  let polar: FakePolar;
  const webhookSecret = 'multi-instance-drop-webhook-secret';

  beforeAll(async () => {
    const admin = new Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.end();
    polar = await FakePolar.start();
    const port = await proxy.start();
    const viaProxy = new URL(pgUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    env = {
      DATABASE_URL: viaProxy.toString(),
      DATABASE_SCHEMA: schema,
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: `${schema}:`,
      JWT_SECRET: 'multi-instance-jwt-secret-0123456789abcdef',
      IP_ENCRYPTION_KEY: 'multi-instance-ip-key-0123456789abcdef0123',
      BCRYPT_ROUNDS: '4',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'loopback',
      LOGIN_FAILURES_PER_EMAIL_IP: '5',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      RATE_LIMIT_READ_PER_MINUTE: '100000',
      RATE_LIMIT_WRITE_PER_MINUTE: '100000',
      DATABASE_POOL_SIZE: '4',
      POLAR_API_URL: polar.url,
      POLAR_ACCESS_TOKEN: 'multi-instance-polar-token',
      DROP_POLAR_SECRET: webhookSecret,
      // Both workers poll often, so they really compete for the same rows.
      OUTBOX_POLL_MS: '50',
    };
    // Both start at once: migrations run once, under the advisory lock.
    [a, b] = await Promise.all([startAppProcess(env), startAppProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy.stop();
    await polar?.close();
    const admin = new Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }, 60_000);

  it('migrated once although both instances started together', async () => {
    const pg = new Client({ connectionString: pgUrl });
    await pg.connect();
    const { rows } = await pg.query(`SELECT name FROM "${schema}".migrations ORDER BY id`);
    await pg.end();
    // Each migration recorded once, in order.
    expect(rows.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((M) => new M().name));
  });

  it('refuses on one instance, at once, a session revoked on the other', async () => {
    const e = email();
    const reg = await call(a, 'POST', '/api/auth/register', { email: e, password: 'password123' });
    expect(reg.status).toBe(201);
    const token = reg.body.token as string;
    expect((await call(b, 'GET', '/api/auth/me', undefined, token)).status).toBe(200);
    expect((await call(a, 'POST', '/api/auth/logout', undefined, token)).status).toBe(200);
    const after = await call(b, 'GET', '/api/auth/me', undefined, token);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: Messages.unauthorized });
  });

  it('refuses on one instance a TOTP code used on the other', async () => {
    const e = email();
    const reg = await call(a, 'POST', '/api/auth/register', { email: e, password: 'password123' });
    const token = reg.body.token as string;
    const setup = await call(a, 'POST', '/api/auth/2fa', { enable: true }, token);
    const secret = setup.body.secret as string;
    const now = Math.floor(Date.now() / 1000);
    const code = (offsetSteps: number) => speakeasy.totp({ secret, encoding: 'base32', time: now + offsetSteps * 30 });
    expect((await call(b, 'POST', '/api/auth/2fa', { enable: true, password: 'password123', verificationCode: code(0) }, token)).status).toBe(200);
    // The next step's code is inside the window: accepted once, on A ...
    const first = await call(a, 'POST', '/api/auth/login', { email: e, password: 'password123', verificationCode: code(1) });
    expect(first.status).toBe(200);
    // ... and refused on B.
    const replay = await call(b, 'POST', '/api/auth/login', { email: e, password: 'password123', verificationCode: code(1) });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: Messages.invalid2faCode });
  });

  it('counts failed logins spread over both instances against one limit', async () => {
    const e = email();
    await call(a, 'POST', '/api/auth/register', { email: e, password: 'password123' });
    const ip = { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250) + 1}` };
    for (const app of [a, b, a, b, a]) {
      expect((await call(app, 'POST', '/api/auth/login', { email: e, password: 'wrong-password' }, undefined, ip)).status).toBe(401);
    }
    const blocked = await call(b, 'POST', '/api/auth/login', { email: e, password: 'password123' }, undefined, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(a, 'POST', '/api/auth/login', { email: e, password: 'password123' }, undefined, ip)).status).toBe(429);
  });

  it('delivers each queued cancellation to Polar exactly once with both workers running', async () => {
    const subscriptions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const e = email();
      const reg = await call(a, 'POST', '/api/auth/register', { email: e, password: 'password123' });
      const userId = (reg.body.user as { id: string }).id;
      const subscriptionId = `sub_mi_${randomBytes(4).toString('hex')}`;
      polar.addSubscription({ id: subscriptionId });
      const body = JSON.stringify(subscriptionEvent('subscription.created', { id: subscriptionId, userId, plan: 'premium' }));
      const id = `msg_${randomBytes(6).toString('hex')}`;
      const ts = Math.floor(Date.now() / 1000);
      const hook = await fetch(`${a.url}/api/webhooks/drop`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(webhookSecret, id, ts, body) },
        body,
      });
      expect(hook.status).toBe(200);
      // Disable on one instance or the other: the cancellation is queued in that transaction.
      const disabled = await call(i % 2 ? a : b, 'POST', '/api/auth/disable-account', { password: 'password123' }, reg.body.token as string);
      expect(disabled.status).toBe(200);
      subscriptions.push(subscriptionId);
    }
    const pg = new Client({ connectionString: pgUrl });
    await pg.connect();
    try {
      let pending = -1;
      for (let i = 0; i < 100 && pending !== 0; i++) {
        const { rows } = await pg.query(`SELECT COUNT(*)::int AS n FROM "${schema}".cancellation_outbox WHERE status <> 'done' AND subscription_id = ANY($1)`, [subscriptions]);
        pending = rows[0].n;
        if (pending) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pending).toBe(0);
      // Give a late duplicate a chance to show itself before counting.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await pg.end();
    }
    for (const id of subscriptions) expect(polar.callsTo('DELETE', `/v1/subscriptions/${id}`)).toHaveLength(1);
  }, 60_000);

  it('answers 503 while PostgreSQL is away, writes nothing half-way, and recovers without a restart', async () => {
    const e = email();
    const reg = await call(a, 'POST', '/api/auth/register', { email: e, password: 'password123' });
    const token = reg.body.token as string;
    await proxy.cut();
    try {
      for (const app of [a, b]) {
        const me = await call(app, 'GET', '/api/auth/me', undefined, token);
        expect(me.status).toBe(503);
        expect(me.body).toEqual({ error: Messages.serviceUnavailable });
        expect((await call(app, 'GET', '/api/health/ready')).status).toBe(503);
        expect((await call(app, 'GET', '/api/health')).status).toBe(200);
      }
      const lost = await call(b, 'POST', '/api/auth/register', { email: `lost.${e}`, password: 'password123' });
      expect(lost.status).toBe(503);
    } finally {
      await proxy.restore();
    }
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await call(a, 'GET', '/api/auth/me', undefined, token)).status === 200 && (await call(b, 'GET', '/api/auth/me', undefined, token)).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
    // The registration refused during the outage left no row; the email is free.
    expect((await call(b, 'POST', '/api/auth/register', { email: `lost.${e}`, password: 'password123' })).status).toBe(201);
    const pg = new Client({ connectionString: pgUrl });
    await pg.connect();
    const { rows } = await pg.query(`SELECT COUNT(*)::int AS n FROM "${schema}".users WHERE email = $1`, [`lost.${e}`]);
    await pg.end();
    expect(rows[0].n).toBe(1);
  }, 60_000);

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const c = await startAppProcess({ ...env, BCRYPT_ROUNDS: '12' });
    const e = email();
    const reg = call(c, 'POST', '/api/auth/register', { email: e, password: 'password123' });
    await new Promise((r) => setTimeout(r, 50));
    const exit = c.stop('SIGTERM');
    expect((await reg).status).toBe(201);
    expect(await exit).toBe(0);
  }, 60_000);
});
