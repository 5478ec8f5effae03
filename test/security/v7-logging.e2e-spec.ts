import { bearer, nextTotpCode, uniqueEmail } from '../support/given';
import { captureStdout, LogCapture } from '../support/log-capture';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * OWASP ASVS V7 (logging): logs carry no credentials, tokens, one-time codes, secrets or
 * raw IP addresses (V7.1.1, V7.1.2). The app runs with debug logs and request logging on;
 * its stdout (nestjs-pino's JSON lines) is captured while a whole account life runs, then
 * searched for every literal value the requests carried.
 */
const INTERNAL_SECRET = 'internal-secret-literal-5b0e7c1d9a8f4e2b6c3d';
const CLIENT_IP = '203.0.113.77';

describe('ASVS V7 logging: no secrets in the logs', () => {
  let t: TestApp;
  let logs: LogCapture;
  const sensitive = new Map<string, string>();
  const remember = (label: string, value: unknown) => {
    if (typeof value === 'string' && value) sensitive.set(label, value);
  };

  beforeAll(async () => {
    // before the app exists: pino picks its stream when the logger is made
    logs = captureStdout();
    t = await createTestApp({ env: { LOG_LEVEL: 'debug', REQUEST_LOGGING: 'true', TRUST_PROXY: 'loopback', INTERNAL_SECRET } });
    logs.clear();
  });
  afterAll(async () => {
    logs.restore();
    await t.close();
    await dropSchema();
  });

  it('logs requests, but no password, token, TOTP or recovery code, secret or raw IP', async () => {
    const http = () => t.http();
    const from = <T extends { set: (k: string, v: string) => T }>(req: T) => req.set('X-Forwarded-For', CLIENT_IP).set('User-Agent', 'log-test');
    const email = uniqueEmail('logs');
    const password = 'Pw-literal-9f3k2-correct';
    const wrongPassword = 'Pw-literal-7h2q-wrong';
    const newPassword = 'Pw-literal-4m8z-new';
    remember('password', password);
    remember('wrong password', wrongPassword);
    remember('new password', newPassword);
    remember('internal secret', INTERNAL_SECRET);
    remember('client IP', CLIENT_IP);

    const reg = await from(http().post('/api/auth/register')).send({ email, password }).expect(201);
    const userId = reg.body.user.id as string;
    remember('register token', reg.body.token);
    await from(http().post('/api/auth/login')).send({ email, password: wrongPassword }).expect(401);
    await from(http().post('/api/auth/login')).send({ email: uniqueEmail('ghost'), password: wrongPassword }).expect(401);
    const login = await from(http().post('/api/auth/login')).send({ email, password }).expect(200);
    const token = login.body.token as string;
    remember('login token', token);
    remember('token signature', token.split('.')[2]);

    const setup = await from(http().post('/api/auth/2fa')).set(bearer(token)).send({ enable: true }).expect(200);
    remember('2FA secret', setup.body.secret);
    remember('2FA manual entry key', setup.body.manualEntryKey);
    const enableCode = nextTotpCode(t, setup.body.secret);
    remember('TOTP code (enable)', enableCode);
    const enabled = await from(http().post('/api/auth/2fa')).set(bearer(token)).send({ enable: true, password, verificationCode: enableCode }).expect(200);
    const recoveryCodes = enabled.body.recoveryCodes as string[];
    recoveryCodes.forEach((c, i) => remember(`recovery code ${i}`, c));

    const pending = await from(http().post('/api/auth/login')).send({ email, password }).expect(200);
    remember('pending token', pending.body.pendingToken);
    const wrongCode = enableCode === '482913' ? '482914' : '482913';
    remember('wrong TOTP code', wrongCode);
    await from(http().post('/api/auth/login/2fa')).send({ pendingToken: pending.body.pendingToken, verificationCode: wrongCode }).expect(401);
    const loginCode = nextTotpCode(t, setup.body.secret);
    remember('TOTP code (login)', loginCode);
    const second = await from(http().post('/api/auth/login/2fa')).send({ pendingToken: pending.body.pendingToken, verificationCode: loginCode }).expect(200);
    remember('2FA login token', second.body.token);
    const withRecovery = await from(http().post('/api/auth/login')).send({ email, password, verificationCode: recoveryCodes[0] }).expect(200);
    remember('recovery login token', withRecovery.body.token);

    await from(http().post('/api/auth/verify')).send({ token }).expect(200);
    await from(http().get('/api/auth/me')).set(bearer(token)).expect(200);
    await from(http().get(`/api/auth/user/${userId}`)).set('X-Internal-Secret', INTERNAL_SECRET).expect(200);
    await from(http().get(`/api/auth/user/${userId}`)).set('X-Internal-Secret', 'wrong-internal-secret-literal-0000').expect(401);
    remember('wrong internal secret', 'wrong-internal-secret-literal-0000');
    const passwordCode = nextTotpCode(t, setup.body.secret);
    remember('TOTP code (password)', passwordCode);
    await from(http().post('/api/auth/password')).set(bearer(token)).send({ currentPassword: password, newPassword, verificationCode: passwordCode }).expect(200);
    // a validation error that echoes nothing it was given
    await from(http().post('/api/auth/login')).send({ email, password: 12345678 }).expect(400);
    await from(http().get('/api/auth/me')).set('Authorization', `Bearer ${token}x`).expect(401);
    const disableCode = nextTotpCode(t, setup.body.secret);
    remember('TOTP code (disable)', disableCode);
    await from(http().post('/api/auth/disable-account')).set(bearer(token)).send({ password: newPassword, verificationCode: disableCode }).expect(200);

    const text = logs.text();
    // the capture works: one line per request at least
    expect(text).toContain('/api/auth/login/2fa');
    expect(text).toContain('"statusCode":401');
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(18);

    const found: string[] = [];
    for (const [label, value] of sensitive) {
      // six-digit codes only as a whole number, not inside a timestamp or an id
      const pattern = /^\d{6}$/.test(value) ? new RegExp(`(?<![0-9A-Za-z])${value}(?![0-9A-Za-z])`) : null;
      if (pattern ? pattern.test(text) : text.includes(value)) found.push(label);
    }
    for (const raw of ['::ffff:127.0.0.1', '"127.0.0.1"', '"remoteAddress"', '"authorization"', '"x-internal-secret"']) {
      if (text.toLowerCase().includes(raw.toLowerCase())) found.push(`raw ${raw}`);
    }
    expect(found).toEqual([]);
  });
});
