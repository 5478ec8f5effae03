import { Session } from '../src/auth/entities/session.entity';
import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { auditEvents, bearer, givenUser, nextTotpCode, totpCode, uniqueEmail } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));


describe('Auth: register and login (seed 004)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The gateway is on loopback in these tests, so X-Forwarded-For from it is believed.
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  describe('POST /api/auth/register', () => {
    it('answers 201 {user, token} and audits USER_REGISTER and SESSION_CREATE', async () => {
      const email = uniqueEmail();
      const res = await t.http().post('/api/auth/register').send({ email, password: 'password123', displayName: 'Jane' }).expect(201);
      expect(res.body).toEqual({
        user: { id: expect.any(String), email, displayName: 'Jane', createdAt: expect.any(String) },
        token: expect.any(String),
      });
      const claims = decode(res.body.token);
      expect(claims).toMatchObject({ sub: res.body.user.id, typ: 'access', sid: expect.any(String), jti: expect.any(String) });
      const actions = (await auditEvents(t, res.body.user.id)).map((e) => e.action).sort();
      expect(actions).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
      await t.http().get('/api/auth/me').set(bearer(res.body.token)).expect(200);
    });

    it('trims and lower-cases the email, so A@x and a@x are one account (flaw 18)', async () => {
      const local = uniqueEmail('Case');
      const res = await t.http().post('/api/auth/register').send({ email: `  ${local.toUpperCase()} `, password: 'password123' }).expect(201);
      expect(res.body.user.email).toBe(local.toLowerCase());
      const again = await t.http().post('/api/auth/register').send({ email: local.toLowerCase(), password: 'password123' }).expect(409);
      expect(again.body).toEqual({ error: Messages.userExists });
    });

    it.each([
      [{ email: 'not-an-email', password: 'password123' }, 'Invalid email address'],
      [{ email: 'a@example.com', password: 'short' }, 'Password must be between 8 and 256 characters'],
      [{ email: 'a@example.com', password: 'x'.repeat(257) }, 'Password must be between 8 and 256 characters'],
      [{ email: 'a@example.com', password: 'password123', displayName: '' }, 'displayName must be between 1 and 100 characters'],
      [{ email: 'a@example.com', password: 'password123', role: 'admin' }, 'property role should not exist'],
    ])('answers 400 for %j', async (body, message) => {
      const res = await t.http().post('/api/auth/register').send(body).expect(400);
      expect(res.body.error).toBe(message);
    });

    it('answers one 201 and one 409 for two concurrent registrations of one email, never a 500 (flaw 19)', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(
        [0, 1, 2].map(() => t.http().post('/api/auth/register').send({ email, password: 'password123' })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      expect(await t.dataSource.getRepository(User).countBy({ email })).toBe(1);
    });

    it('accepts a 256-character password, and one differing after byte 72 is a different password', async () => {
      const base = 'p'.repeat(100);
      const u = await givenUser(t, { password: `${base}A` });
      await t.http().post('/api/auth/login').send({ email: u.email, password: `${base}B` }).expect(401);
      await t.http().post('/api/auth/login').send({ email: u.email, password: `${base}A` }).expect(200);
      await givenUser(t, { password: 'x'.repeat(256) });
    });
  });

  describe('POST /api/auth/login without 2FA', () => {
    it('answers the full shape: user, token, services, banned, disabled', async () => {
      const u = await givenUser(t, { displayName: 'Jane Smith' });
      const res = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
      expect(res.body).toEqual({
        user: {
          id: u.id,
          email: u.email,
          displayName: 'Jane Smith',
          avatar: null,
          twoFactorEnabled: false,
          createdAt: expect.any(String),
        },
        token: expect.any(String),
        services: [],
        banned: false,
        disabled: false,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|password_hash|twoFactorSecret|username/);
    });

    it('answers 401 "Invalid credentials" alike for a wrong password and an unknown email, and records LOGIN_FAILED', async () => {
      const u = await givenUser(t);
      const wrong = await t.http().post('/api/auth/login').send({ email: u.email, password: 'wrong-password' }).expect(401);
      const unknown = await t.http().post('/api/auth/login').send({ email: uniqueEmail('ghost'), password: 'wrong-password' }).expect(401);
      expect(wrong.body).toEqual({ error: Messages.invalidCredentials });
      expect(unknown.body).toEqual(wrong.body);
      const failed = await auditEvents(t, u.id, 'LOGIN_FAILED');
      expect(failed).toHaveLength(1);
      expect(failed[0].data).toEqual({ emailHmac: expect.stringMatching(/^[0-9a-f]{64}$/), ip: expect.stringMatching(/^v1:/), reason: 'password' });
      const anonymous = await auditEvents(t, null, 'LOGIN_FAILED');
      expect(anonymous.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(anonymous.map((a) => a.data))).not.toContain('ghost');
      expect(await auditEvents(t, u.id, 'USER_LOGIN')).toHaveLength(0);
    });

    it('finds the account whatever the case and spaces of the email', async () => {
      const u = await givenUser(t);
      await t.http().post('/api/auth/login').send({ email: ` ${u.email.toUpperCase()} `, password: u.password }).expect(200);
    });

    it('audits USER_LOGIN {ip, twoFactorUsed:false} and SESSION_CREATE for a new session', async () => {
      const u = await givenUser(t);
      const res = await t
        .http()
        .post('/api/auth/login')
        .set('X-Forwarded-For', '198.51.100.20')
        .send({ email: u.email, password: u.password })
        .expect(200);
      const logins = await auditEvents(t, u.id, 'USER_LOGIN');
      expect(logins).toHaveLength(1);
      expect(logins[0].data).toEqual({ ip: expect.stringMatching(/^v1:/), twoFactorUsed: false });
      const audit = await t.http().get('/api/audit?action=USER_LOGIN').set(bearer(res.body.token)).expect(200);
      expect(audit.body.logs[0].data).toEqual({ ip: '198.51.100.20', twoFactorUsed: false });
      expect(await auditEvents(t, u.id, 'SESSION_CREATE')).toHaveLength(2);
    });

    it('reuses the live session of the same user from the same IP: same sid and jti, later exp, no new row, no SESSION_CREATE', async () => {
      const u = await givenUser(t);
      const ip = '203.0.113.77';
      const first = await t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(200);
      t.clock.advance(60_000);
      const second = await t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(200);
      const a = decode(first.body.token);
      const b = decode(second.body.token);
      expect(b.sid).toBe(a.sid);
      expect(b.jti).toBe(a.jti);
      expect(b.exp).toBeGreaterThan(a.exp);
      // register made one session (from 127.0.0.1), the two logins from one IP made one more
      expect(await t.dataSource.getRepository(Session).countBy({ userId: u.id })).toBe(2);
      expect(await auditEvents(t, u.id, 'SESSION_CREATE')).toHaveLength(2);
      expect(await auditEvents(t, u.id, 'USER_LOGIN')).toHaveLength(2);
      await t.http().get('/api/auth/me').set(bearer(first.body.token)).expect(200);
      await t.http().get('/api/auth/me').set(bearer(second.body.token)).expect(200);
    });

    it('makes a new session from another IP given through the trusted proxy', async () => {
      const u = await givenUser(t);
      const a = await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.1').send({ email: u.email, password: u.password }).expect(200);
      const b = await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.2').send({ email: u.email, password: u.password }).expect(200);
      expect(decode(a.body.token).sid).not.toBe(decode(b.body.token).sid);
      const list = await t.http().get('/api/auth/sessions').set(bearer(b.body.token)).expect(200);
      expect(list.body.sessions.map((s: { ip: string }) => s.ip).sort()).toEqual(['127.0.0.1', '203.0.113.1', '203.0.113.2'].sort());
    });

    it("seals the events' IP as their session stores it: one ciphertext per session, another for another IP", async () => {
      const u = await givenUser(t);
      const ip = '203.0.113.91';
      const first = await t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(200);
      t.clock.advance(60_000);
      await t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(200);
      await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.92').send({ email: u.email, password: u.password }).expect(200);
      const sessions = await t.dataSource.getRepository(Session).findBy({ userId: u.id });
      const sealedOf = (sid: string) => sessions.find((s) => s.id === sid)!.ipEncrypted;
      const sealed = sealedOf(decode(first.body.token).sid);
      expect(sealed).toMatch(/^v1:/);
      const logins = (await auditEvents(t, u.id, 'USER_LOGIN')).map((e) => (e.data as { ip: string }).ip);
      expect(logins).toHaveLength(3);
      // The two logins from one IP carry that session's ciphertext; the third, its own session's.
      expect(logins.filter((x) => x === sealed)).toHaveLength(2);
      const other = logins.find((x) => x !== sealed)!;
      expect(sessions.map((s) => s.ipEncrypted)).toContain(other);
      // SESSION_CREATE of each new session (and of registration) names its own session's ciphertext.
      for (const event of await auditEvents(t, u.id, 'SESSION_CREATE')) {
        const data = event.data as { ip: string; sessionId: string };
        expect(data.ip).toBe(sealedOf(data.sessionId));
      }
      const page = await t.http().get('/api/audit?action=USER_LOGIN').set(bearer(first.body.token)).expect(200);
      expect(page.body.logs.map((l: { data: { ip: string } }) => l.data.ip).sort()).toEqual([ip, ip, '203.0.113.92']);
    });

    it('never reuses another user’s session from the same IP', async () => {
      const u1 = await givenUser(t);
      const u2 = await givenUser(t);
      const a = await t.http().post('/api/auth/login').set('X-Forwarded-For', '192.0.2.9').send({ email: u1.email, password: u1.password }).expect(200);
      const b = await t.http().post('/api/auth/login').set('X-Forwarded-For', '192.0.2.9').send({ email: u2.email, password: u2.password }).expect(200);
      expect(decode(a.body.token).sid).not.toBe(decode(b.body.token).sid);
    });

    it('does not reuse an expired session from the same IP', async () => {
      const u = await givenUser(t);
      const a = await t.http().post('/api/auth/login').set('X-Forwarded-For', '192.0.2.50').send({ email: u.email, password: u.password }).expect(200);
      t.clock.advance(8 * 24 * 3600 * 1000);
      const b = await t.http().post('/api/auth/login').set('X-Forwarded-For', '192.0.2.50').send({ email: u.email, password: u.password }).expect(200);
      expect(decode(a.body.token).sid).not.toBe(decode(b.body.token).sid);
      await t.http().get('/api/auth/me').set(bearer(a.body.token)).expect(401);
    });

    it('gives every token a unique id even when made in the same second (flaw 17)', async () => {
      const u = await givenUser(t);
      const tokens = await Promise.all(
        ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) =>
          t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }),
        ),
      );
      const jtis = new Set(tokens.map((r) => decode(r.body.token).jti));
      expect(jtis.size).toBe(3);
    });

    it('answers 400 for validation errors', async () => {
      await t.http().post('/api/auth/login').send({ email: 'x', password: 'y' }).expect(400);
      await t.http().post('/api/auth/login').send({ email: 'a@example.com' }).expect(400);
    });
  });

  describe('POST /api/auth/login with 2FA', () => {
    it('answers the "2FA Required" shape with a pending token, and writes no USER_LOGIN', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
      expect(res.body).toEqual({
        user: { id: u.id, email: u.email, displayName: null, avatar: null },
        requires2FA: true,
        pendingToken: expect.any(String),
        message: '2FA verification required',
      });
      expect(decode(res.body.pendingToken)).toMatchObject({ typ: '2fa_pending', sub: u.id });
      expect(await auditEvents(t, u.id, 'USER_LOGIN')).toHaveLength(0);
    });

    it('seed-style: resending email, password and a valid code logs in, audited with twoFactorUsed:true', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ email: u.email, password: u.password, verificationCode: nextTotpCode(t, u.secret!) })
        .expect(200);
      expect(res.body.user.twoFactorEnabled).toBe(true);
      expect(res.body.token).toEqual(expect.any(String));
      const [login] = await auditEvents(t, u.id, 'USER_LOGIN');
      expect(login.data).toMatchObject({ twoFactorUsed: true });
    });

    it('answers 401 "Invalid 2FA verification code" for a wrong code and records LOGIN_FAILED', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: '000000' }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalid2faCode });
      expect(await auditEvents(t, u.id, 'LOGIN_FAILED')).toHaveLength(1);
    });

    it('refuses a replayed code: a login and a second use within the same 30 s step need the next code', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const code = nextTotpCode(t, u.secret!);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: code }).expect(200);
      const replay = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: code }).expect(401);
      expect(replay.body).toEqual({ error: Messages.invalid2faCode });
      await t
        .http()
        .post('/api/auth/login')
        .send({ email: u.email, password: u.password, verificationCode: nextTotpCode(t, u.secret!) })
        .expect(200);
    });

    it('accepts a code one step old (TOTP_WINDOW=1) but not two', async () => {
      const u = await givenUser(t, { twoFactor: true });
      t.clock.advance(60_000);
      const stale = totpCode(t, u.secret!);
      t.clock.advance(30_000);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: stale }).expect(200);
      t.clock.advance(30_000);
      const older = totpCode(t, u.secret!);
      t.clock.advance(60_000);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: older }).expect(401);
    });

    it('accepts a recovery code once, wherever a TOTP code is', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const code = u.recoveryCodes![0];
      expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      const ok = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: code }).expect(200);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: code }).expect(401);
      const me = await t.http().get('/api/auth/me').set(bearer(ok.body.token)).expect(200);
      expect(me.body.user.recoveryCodesRemaining).toBe(9);
    });
  });

  describe('POST /api/auth/login/2fa', () => {
    async function pendingFor(u: { email: string; password: string }) {
      const res = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
      return res.body.pendingToken as string;
    }

    it('completes the login with the pending token and a code', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pendingToken = await pendingFor(u);
      const res = await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: nextTotpCode(t, u.secret!) }).expect(200);
      expect(res.body).toMatchObject({ user: { id: u.id, twoFactorEnabled: true }, services: [], banned: false, disabled: false });
      await t.http().get('/api/auth/me').set(bearer(res.body.token)).expect(200);
    });

    it('is single use: a spent pending token answers 401 "Invalid or expired pending token"', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pendingToken = await pendingFor(u);
      await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: nextTotpCode(t, u.secret!) }).expect(200);
      const again = await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: nextTotpCode(t, u.secret!) }).expect(401);
      expect(again.body).toEqual({ error: Messages.invalidPendingToken });
    });

    it('is spent by its fifth wrong code, each counted as a failed login', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pendingToken = await pendingFor(u);
      for (let i = 0; i < 5; i++) {
        const res = await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: '000000' }).expect(401);
        expect(res.body).toEqual({ error: Messages.invalid2faCode });
      }
      const after = await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: nextTotpCode(t, u.secret!) }).expect(401);
      expect(after.body).toEqual({ error: Messages.invalidPendingToken });
      expect(await auditEvents(t, u.id, 'LOGIN_FAILED')).toHaveLength(5);
    });

    it('expires after 5 minutes', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pendingToken = await pendingFor(u);
      t.clock.advance(5 * 60_000 + 1000);
      await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: totpCode(t, u.secret!) }).expect(401);
    });

    it('is never a bearer token, and never valid at /api/auth/verify (flaws 1 and 2)', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pendingToken = await pendingFor(u);
      expect((await t.http().get('/api/auth/me').set(bearer(pendingToken)).expect(401)).body).toEqual({ error: Messages.unauthorized });
      expect((await t.http().post('/api/auth/verify').send({ token: pendingToken }).expect(401)).body).toEqual({ error: Messages.invalidToken });
    });

    it('refuses an access token or garbage as a pending token', async () => {
      const u = await givenUser(t, { twoFactor: true });
      for (const pendingToken of [u.token, 'garbage', 'a.b.c']) {
        const res = await t.http().post('/api/auth/login/2fa').send({ pendingToken, verificationCode: nextTotpCode(t, u.secret!) }).expect(401);
        expect(res.body).toEqual({ error: Messages.invalidPendingToken });
      }
    });

    it('answers 400 without a code', async () => {
      await t.http().post('/api/auth/login/2fa').send({ pendingToken: 'x' }).expect(400);
    });
  });
});
