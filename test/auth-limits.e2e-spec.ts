import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { Messages } from '../src/common/messages';
import { givenUser, uniqueEmail } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/** Flaw 13: failures (not requests) are limited per (email, IP), per email and per IP. */
describe('Auth: failed-login limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'loopback',
        LOGIN_FAILURES_PER_EMAIL_IP: '5',
        LOGIN_FAILURES_PER_EMAIL: '8',
        LOGIN_FAILURES_PER_IP: '12',
        LOGIN_FAILURE_WINDOW_MINUTES: '15',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const attempt = (email: string, password: string, ip: string) =>
    t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it('answers 429 with Retry-After after 5 failures for one (email, IP), even for the right password, until the window ends', async () => {
    const u = await givenUser(t);
    for (let i = 0; i < 5; i++) await attempt(u.email, 'wrong-password', '203.0.113.10').expect(401);
    const blocked = await attempt(u.email, u.password, '203.0.113.10').expect(429);
    expect(blocked.body).toEqual({ error: Messages.tooManyRequests });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    // the same account from another IP is not blocked by the (email, IP) limit
    await attempt(u.email, u.password, '203.0.113.11').expect(200);
    // and the window ends by itself: slowed, never locked for good
    t.clock.advance(15 * 60_000 + 1000);
    await attempt(u.email, u.password, '203.0.113.10').expect(200);
  });

  it('limits an unknown email exactly like a known one, so a 429 reveals nothing', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) await attempt(ghost, 'wrong-password', '203.0.113.20').expect(401);
    await attempt(ghost, 'wrong-password', '203.0.113.20').expect(429);
    const failures = await t.dataSource.getRepository(AuditLog).find({ where: { action: 'LOGIN_FAILED' } });
    expect(failures.length).toBeGreaterThanOrEqual(5);
  });

  it('limits one email across many IPs (per-email limit)', async () => {
    const u = await givenUser(t);
    for (let i = 0; i < 8; i++) await attempt(u.email, 'wrong-password', `198.51.100.${i + 1}`).expect(401);
    await attempt(u.email, u.password, '198.51.100.200').expect(429);
    t.clock.advance(15 * 60_000 + 1000);
  });

  it('limits one IP across many emails (per-IP limit)', async () => {
    for (let i = 0; i < 12; i++) await attempt(uniqueEmail('spray'), 'wrong-password', '192.0.2.77').expect(401);
    const u = await givenUser(t);
    await attempt(u.email, u.password, '192.0.2.77').expect(429);
    t.clock.advance(15 * 60_000 + 1000);
  });

  it('counts failures, not requests: successful logins never block', async () => {
    const u = await givenUser(t);
    for (let i = 0; i < 10; i++) await attempt(u.email, u.password, '192.0.2.88').expect(200);
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const untrusted = await createTestApp({ env: { TRUST_PROXY: '' }, alongside: true });
    try {
      const u = await givenUser(untrusted);
      // Every spoofed address is really 127.0.0.1, so the (email, IP) limit catches them (flaw 11).
      for (let i = 0; i < 5; i++) {
        await untrusted.http().post('/api/auth/login').set('X-Forwarded-For', `203.0.113.${100 + i}`).send({ email: u.email, password: 'wrong-password' }).expect(401);
      }
      await untrusted.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.200').send({ email: u.email, password: u.password }).expect(429);
    } finally {
      await untrusted.close();
    }
  });
});

describe('Rate limits per route class', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_READ_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('answers 429 {"error":"Too Many Requests"} with Retry-After past the per-IP limit of an auth route', async () => {
    const email = uniqueEmail();
    for (let i = 0; i < 3; i++) await t.http().post('/api/auth/login').send({ email, password: 'x' });
    const res = await t.http().post('/api/auth/login').send({ email, password: 'x' }).expect(429);
    expect(res.body).toEqual({ error: Messages.tooManyRequests });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // reads have their own, larger budget
    await t.http().post('/api/auth/verify').send({ token: 'not-a-token' }).expect(401);
  });
});

describe('Re-authentication counts against the failed-login limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOGIN_FAILURES_PER_EMAIL_IP: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('answers 429 after 3 wrong passwords on a re-authenticated route, even for the right one, so a stolen token is no password oracle', async () => {
    const u = await givenUser(t);
    for (let i = 0; i < 3; i++) {
      const res = await t.http().post('/api/auth/disable-account').set('Authorization', `Bearer ${u.token}`).send({ password: 'wrong-password' }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalidPassword });
    }
    const blocked = await t.http().post('/api/auth/disable-account').set('Authorization', `Bearer ${u.token}`).send({ password: u.password }).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(429);
    t.clock.advance(15 * 60_000 + 1000);
    await t.http().post('/api/auth/disable-account').set('Authorization', `Bearer ${u.token}`).send({ password: u.password }).expect(200);
  });
});
