import * as jwt from 'jsonwebtoken';
import { Session } from '../src/auth/entities/session.entity';
import { User } from '../src/auth/entities/user.entity';
import { SessionService } from '../src/auth/session.service';
import { Messages } from '../src/common/messages';
import { bearer, givenUser, auditEvents } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

describe('Auth: tokens, sessions, logout and verify', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback', JWT_SECRET_PREVIOUS: 'previous-secret-0123456789abcdef0123456789' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });


  describe('the bearer token', () => {
    it('answers 401 {"error":"Unauthorized"} without a token, with a malformed header, or with garbage', async () => {
      for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer not.a.jwt']) {
        const req = t.http().get('/api/auth/me');
        if (header) req.set('Authorization', header);
        expect((await req.expect(401)).body).toEqual({ error: Messages.unauthorized });
      }
    });

    it('refuses alg:none, another secret, and an HS/RS confusion attempt', async () => {
      const u = await givenUser(t);
      const claims = decode(u.token);
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      const other = jwt.sign(claims, 'some-other-secret-0123456789abcdef012345', { algorithm: 'HS256' });
      const rs = jwt.sign(claims, 'a'.repeat(64), { algorithm: 'HS512' });
      for (const token of [none, other, rs]) await t.http().get('/api/auth/me').set(bearer(token)).expect(401);
    });

    it('accepts a token signed with JWT_SECRET_PREVIOUS while keys rotate', async () => {
      const u = await givenUser(t);
      const claims = decode(u.token);
      const old = jwt.sign(claims, 'previous-secret-0123456789abcdef0123456789', { algorithm: 'HS256' });
      await t.http().get('/api/auth/me').set(bearer(old)).expect(200);
    });

    it('refuses a token whose session expired, and slides the expiry with use (at most one write a minute)', async () => {
      const u = await givenUser(t);
      const repo = t.dataSource.getRepository(Session);
      const { sid } = decode(u.token);
      const before = await repo.findOneByOrFail({ id: sid });
      t.clock.advance(30_000);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      expect((await repo.findOneByOrFail({ id: sid })).lastUsedAt.getTime()).toBe(before.lastUsedAt.getTime());
      t.clock.advance(40_000);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      const slid = await repo.findOneByOrFail({ id: sid });
      expect(slid.lastUsedAt.getTime()).toBeGreaterThan(before.lastUsedAt.getTime());
      expect(slid.expiresAt.getTime()).toBeGreaterThan(before.expiresAt.getTime());
      // the JWT's own exp (7 days from issue) still bounds the token
      t.clock.advance(7 * 24 * 3600 * 1000);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(401);
    });

    it('stores only a hash of the token id, never the token', async () => {
      const u = await givenUser(t);
      const { sid, jti } = decode(u.token);
      const row = await t.dataSource.getRepository(Session).findOneByOrFail({ id: sid });
      expect(row.jtiHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(jti);
      expect(JSON.stringify(row)).not.toContain(u.token);
      expect(row.ipEncrypted).toMatch(/^v1:/);
      expect(JSON.stringify(row)).not.toContain('127.0.0.1');
    });
  });

  describe('POST /api/auth/logout', () => {
    it('answers {success:true}, deletes the session, audits USER_LOGOUT, and the token is refused at once', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/logout').set(bearer(u.token)).expect(200);
      expect(res.body).toEqual({ success: true });
      expect(await t.dataSource.getRepository(Session).countBy({ id: decode(u.token).sid })).toBe(0);
      expect(await auditEvents(t, u.id, 'USER_LOGOUT')).toHaveLength(1);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(401);
      await t.http().post('/api/auth/logout').set(bearer(u.token)).expect(401);
    });
  });

  describe('POST /api/auth/verify', () => {
    it('answers valid:true with the payload and services for a live token', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
      expect(res.body).toEqual({
        valid: true,
        payload: {
          userId: u.id,
          email: u.email,
          sessionId: decode(u.token).sid,
          expiresAt: expect.any(String),
          banned: false,
          disabled: false,
        },
        services: [],
      });
    });

    it('answers 400 "Token is required"', async () => {
      expect((await t.http().post('/api/auth/verify').send({}).expect(400)).body).toEqual({ error: Messages.tokenRequired });
      expect((await t.http().post('/api/auth/verify').send({ token: '' }).expect(400)).body).toEqual({ error: Messages.tokenRequired });
      expect((await t.http().post('/api/auth/verify').send({ token: null }).expect(400)).body).toEqual({ error: Messages.tokenRequired });
    });

    it('answers 400 with the field error for a token that is not a string, too long, or beside an unknown field', async () => {
      const u = await givenUser(t);
      const refused = async (body: unknown, field: string, message: string): Promise<void> => {
        const res = await t.http().post('/api/auth/verify').send(body as object).expect(400);
        expect(res.body).toEqual({ error: message, details: [{ field, message }] });
      };
      await refused({ token: 12345 }, 'token', 'token must be a string');
      await refused({ token: [u.token] }, 'token', 'token must be a string');
      await refused({ token: { value: u.token } }, 'token', 'token must be a string');
      await refused({ token: 'x'.repeat(4097) }, 'token', 'token must be shorter than or equal to 4096 characters');
      await refused({ token: u.token, extra: 1 }, 'extra', 'property extra should not exist');
      await refused({ extra: u.token, token: u.token }, 'extra', 'property extra should not exist');
      await refused([{ token: u.token }], '0', 'property 0 should not exist');
      // 4096 characters is still a token's size (then an invalid one)
      await t.http().post('/api/auth/verify').send({ token: 'x'.repeat(4096) }).expect(401);
    });

    it('answers 401 "Invalid token" for a bad signature, a logged-out token, an expired one and a deleted user (flaw 1)', async () => {
      const bad = await t.http().post('/api/auth/verify').send({ token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' }).expect(401);
      expect(bad.body).toEqual({ error: Messages.invalidToken });

      const out = await givenUser(t);
      await t.http().post('/api/auth/logout').set(bearer(out.token)).expect(200);
      await t.http().post('/api/auth/verify').send({ token: out.token }).expect(401);

      const gone = await givenUser(t);
      // Storage is the subject: the row vanishes as after a deletion.
      await t.dataSource.getRepository(User).delete({ id: gone.id });
      await t.http().post('/api/auth/verify').send({ token: gone.token }).expect(401);

      const old = await givenUser(t);
      t.clock.advance(8 * 24 * 3600 * 1000);
      await t.http().post('/api/auth/verify').send({ token: old.token }).expect(401);
    });

    it('answers valid:false with the reason for banned and disabled accounts (banned wins)', async () => {
      const u = await givenUser(t);
      const users = t.dataSource.getRepository(User);
      await users.update({ id: u.id }, { disabled: true });
      let res = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
      expect(res.body).toMatchObject({ valid: false, reason: 'disabled', payload: { userId: u.id, disabled: true, banned: false } });
      await users.update({ id: u.id }, { banned: true, bannedBy: u.id });
      res = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
      expect(res.body).toMatchObject({ valid: false, reason: 'banned', payload: { banned: true, disabled: true } });
      expect(res.body.services).toBeUndefined();
    });

    it('does not need a bearer token (sibling products call it)', async () => {
      const u = await givenUser(t);
      await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
    });
  });

  describe('GET and DELETE /api/auth/sessions', () => {
    it('lists live sessions with decrypted IPs and marks the current one', async () => {
      const u = await givenUser(t);
      const other = await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.5').set('User-Agent', 'UA-2').send({ email: u.email, password: u.password }).expect(200);
      const res = await t.http().get('/api/auth/sessions').set(bearer(u.token)).expect(200);
      expect(res.body.sessions).toHaveLength(2);
      const current = res.body.sessions.find((s: { current: boolean }) => s.current);
      expect(current.id).toBe(decode(u.token).sid);
      const second = res.body.sessions.find((s: { id: string }) => s.id === decode(other.body.token).sid);
      expect(second).toMatchObject({ ip: '203.0.113.5', userAgent: 'UA-2', current: false });
    });

    it('deletes one session by id (SESSION_DELETE {sessionId}); that token is refused, this one kept', async () => {
      const u = await givenUser(t);
      const other = await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.6').send({ email: u.email, password: u.password }).expect(200);
      const sid = decode(other.body.token).sid;
      const res = await t.http().delete(`/api/auth/sessions?id=${sid}`).set(bearer(u.token)).expect(200);
      expect(res.body).toEqual({ success: true });
      await t.http().get('/api/auth/me').set(bearer(other.body.token)).expect(401);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      const [event] = await auditEvents(t, u.id, 'SESSION_DELETE');
      expect(event.data).toEqual({ sessionId: sid });
    });

    it('answers 404 "Session not found" for a session that is not the caller’s, and leaves it alone', async () => {
      const a = await givenUser(t);
      const b = await givenUser(t);
      const bSid = decode(b.token).sid;
      for (const id of [bSid, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
        const res = await t.http().delete(`/api/auth/sessions?id=${id}`).set(bearer(a.token)).expect(404);
        expect(res.body).toEqual({ error: Messages.sessionNotFound });
      }
      await t.http().get('/api/auth/me').set(bearer(b.token)).expect(200);
      expect(await auditEvents(t, a.id, 'SESSION_DELETE')).toHaveLength(0);
    });

    it('deletes every session without an id (USER_LOGOUT {allSessions:true})', async () => {
      const u = await givenUser(t);
      const other = await t.http().post('/api/auth/login').set('X-Forwarded-For', '203.0.113.7').send({ email: u.email, password: u.password }).expect(200);
      await t.http().delete('/api/auth/sessions').set(bearer(u.token)).expect(200);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(401);
      await t.http().get('/api/auth/me').set(bearer(other.body.token)).expect(401);
      const [event] = await auditEvents(t, u.id, 'USER_LOGOUT');
      expect(event.data).toEqual({ allSessions: true });
    });
  });

  it('removes expired sessions in the periodic job', async () => {
    const u = await givenUser(t);
    const sid = decode(u.token).sid;
    t.clock.advance(8 * 24 * 3600 * 1000);
    const removed = await t.app.get(SessionService).removeExpired();
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await t.dataSource.getRepository(Session).countBy({ id: sid })).toBe(0);
  });
});
