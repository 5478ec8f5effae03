import { randomBytes } from 'node:crypto';
import { Messages } from '../src/common/messages';
import { bearer, givenUser, uniqueEmail } from './support/given';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

describe('GET /api/metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: 'metrics-token-for-tests' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('answers 401 without the METRICS_TOKEN when one is set', async () => {
    expect((await t.http().get('/api/metrics').expect(401)).body).toEqual({ error: Messages.unauthorized });
    await t.http().get('/api/metrics').set(bearer('wrong')).expect(401);
  });

  it('reports requests by route and status, logins by outcome and the outbox backlog', async () => {
    const u = await givenUser(t);
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    await t.http().post('/api/auth/login').send({ email: u.email, password: 'wrong-password' }).expect(401);
    await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
    const res = await t.http().get('/api/metrics').set(bearer('metrics-token-for-tests')).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/nullpass_http_requests_total\{method="GET",route="\/api\/auth\/me",status="200"\} [1-9]/);
    expect(res.text).toMatch(/nullpass_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/api\/auth\/me",status="200"\}/);
    expect(res.text).toMatch(/nullpass_logins_total\{outcome="success"\} [1-9]/);
    expect(res.text).toMatch(/nullpass_logins_total\{outcome="invalid_credentials"\} [1-9]/);
    expect(res.text).toMatch(/nullpass_outbox_backlog 0/);
    // route patterns, never raw ids
    expect(res.text).not.toContain(u.id);
  });

  it('counts requests refused before routing (oversized and malformed bodies) as unmatched', async () => {
    const before = await t.http().get('/api/metrics').set(bearer('metrics-token-for-tests')).expect(200);
    const count = (text: string, status: string) =>
      Number(new RegExp(`nullpass_http_requests_total\\{method="POST",route="unmatched",status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"email":').expect(400);
    await t
      .http()
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a'.repeat(120_000) }))
      .expect(413);
    const after = await t.http().get('/api/metrics').set(bearer('metrics-token-for-tests')).expect(200);
    expect(count(after.text, '400')).toBe(count(before.text, '400') + 1);
    expect(count(after.text, '413')).toBe(count(before.text, '413') + 1);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
(redisUrl ? describe : describe.skip)('Redis as the shared store (TEST_REDIS_URL)', () => {
  const prefix = `np-test-${randomBytes(4).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'loopback', LOGIN_FAILURES_PER_EMAIL_IP: '4' };
    a = await createTestApp({ env });
    b = await createTestApp({ env });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await dropSchema();
  });

  it('counts failed logins over two instances against one limit', async () => {
    const u = await givenUser(a);
    const ip = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    for (const app of [a, b, a, b]) {
      await app.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: 'wrong-password' }).expect(401);
    }
    const res = await b.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await a.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(429);
  });
});

describe('Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails at once.
    t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('fails closed on credential routes with 503 "Service temporarily unavailable"', async () => {
    const res = await t.http().post('/api/auth/login').send({ email: uniqueEmail(), password: 'password123' }).expect(503);
    expect(res.body).toEqual({ error: Messages.serviceUnavailable });
    await t.http().post('/api/auth/register').send({ email: uniqueEmail(), password: 'password123' }).expect(503);
  });

  it('keeps answering reads', async () => {
    await t.http().get('/api/health').expect(200);
    expect((await t.http().post('/api/auth/verify').send({ token: 'x.y.z' }).expect(401)).body).toEqual({ error: Messages.invalidToken });
  });
});

(redisUrl ? describe : describe.skip)('Redis going away and coming back (TEST_REDIS_URL)', () => {
  const target = new URL(redisUrl ?? 'redis://127.0.0.1:6379');
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  let t: TestApp;
  beforeAll(async () => {
    const port = await proxy.start();
    t = await createTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: `np-recover-${randomBytes(4).toString('hex')}:` } });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
    await dropSchema();
  });

  it('answers 503 on logins while Redis is away, keeps reads, and recovers by itself', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
    await proxy.cut();
    try {
      const down = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(503);
      expect(down.body).toEqual({ error: Messages.serviceUnavailable });
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    } finally {
      await proxy.restore();
    }
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await t.http().post('/api/auth/login').send({ email: u.email, password: u.password })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  }, 30_000);
});
