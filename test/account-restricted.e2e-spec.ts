import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Messages } from '../src/common/messages';
import { BAN, DELETE_ACCOUNT, DISABLE, ENABLE, IMAGES, UNBAN, callAccount, givenAdminBan, userRow } from './support/account';
import { bearer, givenUser, type GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * Spec, "Tokens and sessions" and flaw 5: a banned or disabled account keeps restricted
 * sessions. It may call only me, logout, sessions, password, re-enable, self-unban and
 * delete; everything else answers 403 with the reason. Restriction is read from the
 * user's current flags on every request, so it starts and ends at once on every session.
 */
describe('Restricted mode of disabled and banned accounts', () => {
  let t: TestApp;
  const avatarDir = process.env.AVATAR_DIR as string;

  beforeAll(async () => {
    // Sessions from different addresses (a login from the same IP reuses the session, seed 004).
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  function loginFrom(user: GivenUser, ip: string, password = user.password) {
    return t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: user.email, password });
  }

  const modes = [
    { mode: 'disabled', restrict: DISABLE, lift: ENABLE, message: Messages.accountDisabled },
    { mode: 'banned', restrict: BAN, lift: UNBAN, message: Messages.accountBanned },
  ] as const;

  describe.each(modes)('a $mode account', ({ mode, restrict, lift, message }) => {
    let user: GivenUser;
    let other: string;

    beforeAll(async () => {
      user = await givenUser(t);
      const second = await loginFrom(user, '198.51.100.7').expect(200);
      other = second.body.token;
      expect(other).not.toBe(user.token);
      await callAccount(t, restrict, user.token, { password: user.password }).expect(200);
    });

    it(`answers 403 "${message}" on every route class outside the allowed ones, on every session`, async () => {
      const refused = {
        'PATCH /api/auth/me': () => t.http().patch('/api/auth/me').send({ displayName: 'Nope' }),
        'GET /api/audit': () => t.http().get('/api/audit'),
        'POST /api/auth/2fa': () => t.http().post('/api/auth/2fa').send({ enable: true }),
        'POST /api/auth/2fa/recovery-codes': () =>
          t.http().post('/api/auth/2fa/recovery-codes').send({ password: user.password, verificationCode: '123456' }),
        'GET /api/avatar': () => t.http().get('/api/avatar'),
        'POST /api/auth/disable-account': () => t.http().post('/api/auth/disable-account').send({ password: user.password }),
        'POST /api/auth/ban-account': () => t.http().post('/api/auth/ban-account').send({ password: user.password }),
      };
      for (const token of [user.token, other]) {
        for (const [route, call] of Object.entries(refused)) {
          const res = await call().set(bearer(token));
          expect({ route, status: res.status, body: res.body }).toEqual({ route, status: 403, body: { error: message } });
        }
      }
      expect((await userRow(t, user.id))?.displayName).toBeNull();
      expect((await userRow(t, user.id))?.twoFactorPendingSecret).toBeNull();
    });

    it('refuses an avatar upload before reading the file: 403, nothing stored', async () => {
      const res = await t.http().post('/api/avatar').set(bearer(user.token)).attach('avatar', IMAGES.png, 'a.png').expect(403);
      expect(res.body).toEqual({ error: message });
      const dir = join(avatarDir, user.id);
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
      expect((await userRow(t, user.id))?.avatar).toBeNull();
    });

    it(`keeps GET /api/auth/me (${mode}: true) and the sessions routes`, async () => {
      const me = await t.http().get('/api/auth/me').set(bearer(other)).expect(200);
      expect(me.body.user).toMatchObject({ id: user.id, banned: mode === 'banned', disabled: mode === 'disabled' });
      const sessions = await t.http().get('/api/auth/sessions').set(bearer(user.token)).expect(200);
      expect(sessions.body.sessions).toHaveLength(2);
    });

    it(`/api/auth/verify answers valid:false with reason "${mode}"`, async () => {
      const res = await t.http().post('/api/auth/verify').send({ token: user.token }).expect(200);
      expect(res.body).toMatchObject({
        valid: false,
        reason: mode,
        payload: { userId: user.id, email: user.email, banned: mode === 'banned', disabled: mode === 'disabled' },
      });
      expect(res.body.services).toBeUndefined();
    });

    it(`login still checks the password and answers 200 with ${mode}: true; that session is restricted too`, async () => {
      await loginFrom(user, '198.51.100.8', 'wrong password').expect(401);
      const res = await loginFrom(user, '198.51.100.8').expect(200);
      expect(res.body).toMatchObject({ banned: mode === 'banned', disabled: mode === 'disabled', token: expect.any(String) });
      const patch = await t.http().patch('/api/auth/me').set(bearer(res.body.token)).send({ displayName: 'x' }).expect(403);
      expect(patch.body).toEqual({ error: message });
      // ... and it may end a session, and log out.
      const mine = await t.http().get('/api/auth/sessions').set(bearer(res.body.token)).expect(200);
      const current = mine.body.sessions.find((s: { current: boolean }) => s.current);
      await t.http().delete(`/api/auth/sessions?id=${current.id}`).set(bearer(other)).expect(200);
      await t.http().get('/api/auth/me').set(bearer(res.body.token)).expect(401);
      const third = await loginFrom(user, '198.51.100.9').expect(200);
      await t.http().post('/api/auth/logout').set(bearer(third.body.token)).expect(200);
      await t.http().get('/api/auth/me').set(bearer(third.body.token)).expect(401);
    });

    it('may change the password', async () => {
      const session = await loginFrom(user, '198.51.100.10').expect(200);
      const newPassword = `${user.password} v2`;
      await t
        .http()
        .post('/api/auth/password')
        .set(bearer(session.body.token))
        .send({ currentPassword: user.password, newPassword })
        .expect(200);
      user.password = newPassword;
      // Every other session was revoked by the change (flaw 9): carry on with this one.
      user.token = session.body.token;
      const again = await loginFrom(user, '198.51.100.7').expect(200);
      other = again.body.token;
    });

    it('lifting the restriction takes effect at once on every session', async () => {
      await callAccount(t, lift, user.token, { password: user.password }).expect(200);
      for (const token of [user.token, other]) {
        await t.http().patch('/api/auth/me').set(bearer(token)).send({ displayName: 'Back' }).expect(200);
        await t.http().get('/api/audit').set(bearer(token)).expect(200);
      }
      const verify = await t.http().post('/api/auth/verify').send({ token: other }).expect(200);
      expect(verify.body).toMatchObject({ valid: true, payload: { banned: false, disabled: false } });
      expect(verify.body.reason).toBeUndefined();
    });

    it('restricting takes effect at once on every session, and delete-account stays open', async () => {
      await callAccount(t, restrict, other, { password: user.password }).expect(200);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(403);
      await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
      await t.http().get('/api/auth/me').set(bearer(other)).expect(401);
    });
  });

  it("an administrator's ban on a disabled account: banned wins; re-enabling is allowed, deleting is not", async () => {
    const admin = await givenUser(t);
    const user = await givenUser(t);
    await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
    await givenAdminBan(t, user.id, admin.id);
    const res = await t.http().get('/api/audit').set(bearer(user.token)).expect(403);
    expect(res.body).toEqual({ error: Messages.accountBanned });
    const verify = await t.http().post('/api/auth/verify').send({ token: user.token }).expect(200);
    expect(verify.body).toMatchObject({ valid: false, reason: 'banned', payload: { banned: true, disabled: true } });
    await callAccount(t, ENABLE, user.token, { password: user.password }).expect(200);
    const unban = await callAccount(t, UNBAN, user.token, { password: user.password }).expect(403);
    expect(unban.body).toEqual({ error: Messages.banAdminOnly });
    const del = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(403);
    expect(del.body).toEqual({ error: Messages.accountBanned });
    expect(await userRow(t, user.id)).toMatchObject({ banned: true, disabled: false });
  });
});
