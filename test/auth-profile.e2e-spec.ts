import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { givenAdmin } from './support/admin';
import { bearer, givenUser, nextTotpCode, auditEvents } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

describe('Auth: profile, password and 2FA', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const login = (email: string, password: string, ip = '198.51.100.99') =>
    t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  describe('GET /api/auth/me', () => {
    // /me, /verify and /connect/check answer from the entitlements read in the token check's
    // own statement (a JSON column); they must be exactly what GET /api/services reads.
    it('answers the same entitlements as GET /api/services, every field, after administrators set them', async () => {
      const admin = await givenAdmin(t);
      const u = await givenUser(t);
      const set = (body: object) => t.http().patch(`/api/admin/users/${u.id}`).set(bearer(admin.token)).send(body).expect(200);
      await set({ service: 'VAULT', tier: 'enterprise', isPremium: true, accessFlags: { sso: true, seats: 12, nested: { a: [1, 'two'] } } });
      t.clock.advance(1500);
      await set({ service: 'DROP', tier: 'free', metadata: { note: 'é ü "quoted"' }, customStorageLimit: 2147483647, customApiKeyLimit: 0 });
      await t.http().post('/api/connect/disconnect').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);

      const listed = (await t.http().get('/api/services').set(bearer(u.token)).expect(200)).body.entitlements;
      expect(listed.map((e: { service: string }) => e.service)).toEqual(['VAULT', 'DROP']);
      const me = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      expect(me.body.user.serviceAccess).toEqual(listed);
      const verified = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
      expect(verified.body.services).toEqual(listed);
      expect((await t.http().get('/api/connect/check?service=VAULT').set(bearer(u.token)).expect(200)).body).toEqual({
        connected: true,
        service: 'VAULT',
        tier: 'enterprise',
        isPremium: true,
      });
      expect((await t.http().get('/api/connect/check?service=DROP').set(bearer(u.token)).expect(200)).body).toEqual({
        connected: false,
        service: 'DROP',
        tier: 'free',
        isPremium: false,
      });
      expect((await t.http().get('/api/connect/check?service=MAILS').set(bearer(u.token)).expect(200)).body).toEqual({
        connected: false,
        service: 'MAILS',
        message: Messages.noEntitlement,
      });
    });

    it('answers the user with flags, service access and recovery codes left', async () => {
      const u = await givenUser(t, { displayName: 'Me' });
      const res = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      expect(res.body).toEqual({
        user: {
          id: u.id,
          email: u.email,
          avatar: null,
          displayName: 'Me',
          twoFactorEnabled: false,
          banned: false,
          disabled: false,
          recoveryCodesRemaining: 0,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          serviceAccess: [],
        },
      });
    });
  });

  describe('PATCH /api/auth/me', () => {
    it('changes displayName and avatar, audits USER_UPDATE {fields}', async () => {
      const u = await givenUser(t);
      const res = await t
        .http()
        .patch('/api/auth/me')
        .set(bearer(u.token))
        .send({ displayName: 'New Name', avatar: 'https://cdn.example.com/a.png' })
        .expect(200);
      expect(res.body.user).toMatchObject({ id: u.id, displayName: 'New Name', avatar: 'https://cdn.example.com/a.png' });
      expect(Object.keys(res.body.user).sort()).toEqual(['avatar', 'createdAt', 'displayName', 'email', 'id', 'twoFactorEnabled', 'updatedAt']);
      const [event] = await auditEvents(t, u.id, 'USER_UPDATE');
      expect(event.data).toEqual({ fields: ['displayName', 'avatar'] });
      const cleared = await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ avatar: '' }).expect(200);
      expect(cleared.body.user.avatar).toBeNull();
    });

    it('answers 400 "No fields to update" for an empty body, and writes no event', async () => {
      const u = await givenUser(t);
      const res = await t.http().patch('/api/auth/me').set(bearer(u.token)).send({}).expect(400);
      expect(res.body).toEqual({ error: Messages.noFieldsToUpdate });
      expect(await auditEvents(t, u.id, 'USER_UPDATE')).toHaveLength(0);
    });

    it.each(['http://example.com/a.png', 'javascript:alert(1)', 'file:///etc/passwd', '../../etc/passwd', 'data:image/png;base64,AA'])(
      'refuses the avatar %s (https URLs only, flaw 15)',
      async (avatar) => {
        const u = await givenUser(t);
        await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ avatar }).expect(400);
        const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
        expect(row.avatar).toBeNull();
      },
    );

    it('refuses fields that are not the profile’s (mass assignment)', async () => {
      const u = await givenUser(t);
      for (const body of [{ email: 'x@example.com' }, { role: 'admin' }, { banned: false, displayName: 'x' }, { twoFactorEnabled: true }]) {
        await t.http().patch('/api/auth/me').set(bearer(u.token)).send(body).expect(400);
      }
      const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
      expect(row.role).toBe('user');
      expect(row.email).toBe(u.email);
    });
  });

  describe('POST /api/auth/password', () => {
    it('changes the password, revokes every other session (flaw 9) and audits PASSWORD_CHANGE', async () => {
      const u = await givenUser(t);
      const other = await login(u.email, u.password).expect(200);
      const res = await t
        .http()
        .post('/api/auth/password')
        .set(bearer(u.token))
        .send({ currentPassword: u.password, newPassword: 'a brand new password' })
        .expect(200);
      expect(res.body).toEqual({ success: true, message: 'Password changed successfully' });
      await t.http().get('/api/auth/me').set(bearer(other.body.token)).expect(401);
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      await login(u.email, u.password, '198.51.100.98').expect(401);
      await login(u.email, 'a brand new password', '198.51.100.98').expect(200);
      const [event] = await auditEvents(t, u.id, 'PASSWORD_CHANGE');
      expect(event.data).toEqual({ revokedSessions: 1 });
    });

    it('answers 401 "Invalid current password" and changes nothing', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/password').set(bearer(u.token)).send({ currentPassword: 'wrong-one', newPassword: 'another password' }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalidCurrentPassword });
      await login(u.email, u.password).expect(200);
      expect(await auditEvents(t, u.id, 'PASSWORD_CHANGE')).toHaveLength(0);
    });

    it('with 2FA: 401 "2FA verification code is required", then "Invalid 2FA verification code", then succeeds', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const body = { currentPassword: u.password, newPassword: 'another password 2' };
      const missing = await t.http().post('/api/auth/password').set(bearer(u.token)).send(body).expect(401);
      expect(missing.body).toEqual({ error: Messages.twoFactorCodeRequired });
      const wrong = await t.http().post('/api/auth/password').set(bearer(u.token)).send({ ...body, verificationCode: '000000' }).expect(401);
      expect(wrong.body).toEqual({ error: Messages.invalid2faCode });
      await t.http().post('/api/auth/password').set(bearer(u.token)).send({ ...body, verificationCode: nextTotpCode(t, u.secret!) }).expect(200);
    });

    it('answers 400 for a new password that is too short', async () => {
      const u = await givenUser(t);
      await t.http().post('/api/auth/password').set(bearer(u.token)).send({ currentPassword: u.password, newPassword: 'short' }).expect(400);
    });
  });

  describe('POST /api/auth/2fa', () => {
    it('setup answers a QR code, the secret and the message, keeping the pending secret server-side; no event yet', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true }).expect(200);
      expect(res.body).toEqual({
        qrCode: expect.stringMatching(/^data:image\/png;base64,/),
        secret: expect.stringMatching(/^[A-Z2-7]+$/),
        manualEntryKey: res.body.secret,
        message: 'Scan the QR code with your authenticator app',
      });
      const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
      expect(row.twoFactorEnabled).toBe(false);
      expect(row.twoFactorPendingSecret).toMatch(/^v1:/);
      expect(row.twoFactorPendingSecret).not.toContain(res.body.secret);
      expect(await auditEvents(t, u.id, 'TWO_FACTOR_ENABLE')).toHaveLength(0);
    });

    it('enables with password and code: 10 recovery codes, TWO_FACTOR_ENABLE, and the confirming code cannot log in again', async () => {
      const u = await givenUser(t);
      const setup = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true }).expect(200);
      const code = nextTotpCode(t, setup.body.secret);
      const res = await t
        .http()
        .post('/api/auth/2fa')
        .set(bearer(u.token))
        .send({ enable: true, password: u.password, verificationCode: code, secret: setup.body.secret })
        .expect(200);
      expect(res.body).toEqual({ message: '2FA enabled successfully', twoFactorEnabled: true, recoveryCodes: expect.any(Array) });
      expect(res.body.recoveryCodes).toHaveLength(10);
      expect(new Set(res.body.recoveryCodes).size).toBe(10);
      expect(await auditEvents(t, u.id, 'TWO_FACTOR_ENABLE')).toHaveLength(1);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: code }).expect(401);
      const me = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      expect(me.body.user).toMatchObject({ twoFactorEnabled: true, recoveryCodesRemaining: 10 });
    });

    it('answers 400 "2FA is already enabled" to setup or enable twice (flaw 20)', async () => {
      const u = await givenUser(t, { twoFactor: true });
      expect((await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true }).expect(400)).body).toEqual({
        error: Messages.twoFactorAlreadyEnabled,
      });
      await t
        .http()
        .post('/api/auth/2fa')
        .set(bearer(u.token))
        .send({ enable: true, password: u.password, verificationCode: nextTotpCode(t, u.secret!) })
        .expect(400);
    });

    it('answers 400 "No pending 2FA setup" when confirming without a setup', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true, password: u.password, verificationCode: '123456' }).expect(400);
      expect(res.body).toEqual({ error: Messages.noPending2fa });
    });

    it('answers 401 "Invalid password", 400 "Invalid verification code", and 400 for a secret that is not the pending one (flaw 10)', async () => {
      const u = await givenUser(t);
      const setup = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true }).expect(200);
      const wrongPw = await t
        .http()
        .post('/api/auth/2fa')
        .set(bearer(u.token))
        .send({ enable: true, password: 'not-it-at-all', verificationCode: nextTotpCode(t, setup.body.secret) })
        .expect(401);
      expect(wrongPw.body).toEqual({ error: Messages.invalidPassword });
      const wrongCode = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: true, password: u.password, verificationCode: '000000' }).expect(400);
      expect(wrongCode.body).toEqual({ error: Messages.invalidVerificationCode });
      await t
        .http()
        .post('/api/auth/2fa')
        .set(bearer(u.token))
        .send({ enable: true, password: u.password, verificationCode: nextTotpCode(t, setup.body.secret), secret: 'JBSWY3DPEHPK3PXP' })
        .expect(400);
      const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
      expect(row.twoFactorEnabled).toBe(false);
    });

    it('disables with password and code: TWO_FACTOR_DISABLE, recovery codes gone', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await t
        .http()
        .post('/api/auth/2fa')
        .set(bearer(u.token))
        .send({ enable: false, password: u.password, verificationCode: nextTotpCode(t, u.secret!) })
        .expect(200);
      expect(res.body).toEqual({ message: '2FA disabled successfully', twoFactorEnabled: false });
      expect(await auditEvents(t, u.id, 'TWO_FACTOR_DISABLE')).toHaveLength(1);
      const again = await login(u.email, u.password).expect(200);
      expect(again.body.token).toEqual(expect.any(String));
      expect(again.body.user.twoFactorEnabled).toBe(false);
      const me = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      expect(me.body.user.recoveryCodesRemaining).toBe(0);
    });

    it('refuses to disable without the code, without the password (flaw 20), or with a wrong code', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const noCode = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: false, password: u.password }).expect(400);
      expect(noCode.body).toEqual({ error: Messages.codeRequiredToDisable2fa });
      const noPw = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: false, verificationCode: nextTotpCode(t, u.secret!) }).expect(401);
      expect(noPw.body).toEqual({ error: Messages.invalidPassword });
      const wrong = await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: false, password: u.password, verificationCode: '000000' }).expect(400);
      expect(wrong.body).toEqual({ error: Messages.invalidVerificationCode });
      const notOn = await givenUser(t);
      const off = await t.http().post('/api/auth/2fa').set(bearer(notOn.token)).send({ enable: false, password: notOn.password, verificationCode: '123456' }).expect(400);
      expect(off.body).toEqual({ error: Messages.twoFactorNotEnabled });
      expect(await auditEvents(t, u.id, 'TWO_FACTOR_DISABLE')).toHaveLength(0);
    });

    it('answers 400 when enable is missing or not a boolean', async () => {
      const u = await givenUser(t);
      await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({}).expect(400);
      await t.http().post('/api/auth/2fa').set(bearer(u.token)).send({ enable: 'yes' }).expect(400);
    });
  });

  describe('POST /api/auth/2fa/recovery-codes', () => {
    it('replaces the recovery codes; the old ones stop working', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await t
        .http()
        .post('/api/auth/2fa/recovery-codes')
        .set(bearer(u.token))
        .send({ password: u.password, verificationCode: nextTotpCode(t, u.secret!) })
        .expect(200);
      expect(res.body.recoveryCodes).toHaveLength(10);
      expect(res.body.recoveryCodes).not.toContain(u.recoveryCodes![0]);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: u.recoveryCodes![0] }).expect(401);
      await t.http().post('/api/auth/login').send({ email: u.email, password: u.password, verificationCode: res.body.recoveryCodes[0] }).expect(200);
    });

    it('answers 401 as re-authentication does', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const pw = await t.http().post('/api/auth/2fa/recovery-codes').set(bearer(u.token)).send({ password: 'wrong-password', verificationCode: '123456' }).expect(401);
      expect(pw.body).toEqual({ error: Messages.invalidPassword });
      const code = await t.http().post('/api/auth/2fa/recovery-codes').set(bearer(u.token)).send({ password: u.password, verificationCode: '000000' }).expect(401);
      expect(code.body).toEqual({ error: Messages.invalid2faCode });
    });
  });
});
