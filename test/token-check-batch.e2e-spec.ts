import { USER_SECRET_PROPERTIES } from '../src/auth/entities/user.entity';
import { SessionService } from '../src/auth/session.service';
import { sha256Hex } from '../src/common/crypto/hash';
import { UnitOfWork } from '../src/database/unit-of-work';
import { bearer, givenUser, GivenUser } from './support/given';
import { hotStatementsOf } from './support/statements';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string; jti: string };

/**
 * The token check under concurrency: the checks of one event-loop turn share one statement
 * (SessionService.liveBatch), and each must still get its own session, a revoked or unknown
 * one nothing, and a transaction its own read. SQLite by default, PostgreSQL with
 * TEST_DATABASE_URL.
 */
describe('Token checks at once: each answers for its own session', () => {
  let t: TestApp;
  let users: GivenUser[];
  beforeAll(async () => {
    t = await createTestApp();
    users = [];
    for (let i = 0; i < 6; i++) users.push(await givenUser(t));
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('many concurrent /api/auth/me and /verify requests each answer with their own user; a logged-out token gets 401', async () => {
    const [gone, ...live] = users;
    await t.http().post('/api/auth/logout').set(bearer(gone.token)).expect(200);
    const me = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const u = users[i % users.length];
        return t.http().get('/api/auth/me').set(bearer(u.token)).then((res) => ({ u, res }));
      }),
    );
    for (const { u, res } of me) {
      if (u === gone) expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { error: 'Unauthorized' } });
      else expect({ status: res.status, email: res.body.user?.email ?? res.body.email }).toEqual({ status: 200, email: u.email });
    }
    const verify = await Promise.all(live.map((u) => t.http().post('/api/auth/verify').send({ token: u.token })));
    verify.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body.payload).toMatchObject({ userId: live[i].id, email: live[i].email, sessionId: claimsOf(live[i].token).sid });
    });
  });

  it('checks started together: each its own session, unknown and wrong-jti ones none, an upper-case id its session', async () => {
    const sessions = t.app.get(SessionService);
    const [a, b, c] = users.slice(1);
    const ca = claimsOf(a.token);
    const cb = claimsOf(b.token);
    const cc = claimsOf(c.token);
    const results = await Promise.all([
      sessions.findLive(ca.sid, sha256Hex(ca.jti)),
      sessions.findLive(cb.sid, sha256Hex(cb.jti)),
      sessions.findLive('00000000-0000-4000-8000-000000000000', sha256Hex(ca.jti)),
      sessions.findLive(cc.sid, sha256Hex(ca.jti)),
      sessions.findLive(cc.sid.toUpperCase(), sha256Hex(cc.jti)),
      sessions.findLive(ca.sid, sha256Hex(ca.jti)),
    ]);
    expect(results.map((r) => r?.session.user.email ?? null)).toEqual([a.email, b.email, null, null, c.email, a.email]);
    // the same session asked twice: two objects, so one request's touch does not change the other's
    expect(results[5]).toEqual(results[0]);
    expect(results[5]).not.toBe(results[0]);
    expect(results[5]!.session.user).not.toBe(results[0]!.session.user);
  });

  it('checks started in one turn are one statement; inside a transaction the transaction’s own', async () => {
    const sessions = t.app.get(SessionService);
    const claims = users.slice(1).map((u) => claimsOf(u.token));
    let found: Array<Awaited<ReturnType<SessionService['findLive']>>> = [];
    const batched = await hotStatementsOf(async () => {
      found = await Promise.all(claims.map((c) => sessions.findLive(c.sid, sha256Hex(c.jti))));
    });
    expect(found.map((live) => live?.session.id)).toEqual(claims.map((c) => c.sid));
    expect(batched).toEqual(['nullpass_session_live_batch']);

    let inside: Awaited<ReturnType<SessionService['findLive']>> = null;
    const alone = await hotStatementsOf(async () => {
      inside = await t.app.get(UnitOfWork).run(() => sessions.findLive(claims[0].sid, sha256Hex(claims[0].jti)));
    });
    expect(inside!.session.id).toBe(claims[0].sid);
    expect(alone).toEqual(['nullpass_session_live']);
  });

  it('reads no secret: the user a token check carries has no password hash, 2FA secret or last TOTP step, batched or not', async () => {
    const sessions = t.app.get(SessionService);
    const withTwoFactor = await givenUser(t, { twoFactor: true });
    const c = claimsOf(withTwoFactor.token);
    const batched = await sessions.findLive(c.sid, sha256Hex(c.jti));
    const inside = await t.app.get(UnitOfWork).run(() => sessions.findLive(c.sid, sha256Hex(c.jti)));
    for (const live of [batched, inside]) {
      const user = live!.session.user;
      expect({ email: user.email, twoFactorEnabled: user.twoFactorEnabled }).toEqual({ email: withTwoFactor.email, twoFactorEnabled: true });
      for (const secret of USER_SECRET_PROPERTIES) expect(Object.keys(user)).not.toContain(secret);
    }
    // the secrets are there to be read by the steps that check them: 2FA is on with a sealed secret
    const [row] = await t.dataSource.query(
      `SELECT password_hash, two_factor_secret FROM users WHERE id = ${t.dataSource.options.type === 'postgres' ? '$1' : '?'}`,
      [withTwoFactor.id],
    );
    expect([typeof row.password_hash, typeof row.two_factor_secret]).toEqual(['string', 'string']);
  });
});
