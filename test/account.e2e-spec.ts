import { Messages } from '../src/common/messages';
import {
  BAN,
  DELETE_ACCOUNT,
  DISABLE,
  ENABLE,
  UNBAN,
  auditActions,
  auditRows,
  callAccount,
  givenAdminBan,
  givenSubscription,
  outboxFor,
  reauthBody,
  routeName,
  uniqueSubscriptionId,
  userRow,
} from './support/account';
import { bearer, givenUser, nextTotpCode } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const POLAR = { POLAR_ACCESS_TOKEN: 'polar_at_test_0123456789', POLAR_API_URL: 'http://127.0.0.1:9' };

afterAll(async () => {
  await dropSchema();
});

describe('Account: disable and ban (seeds 001, 002) with Polar configured', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: POLAR });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Puts a fresh account in the state the route expects, so only re-authentication can fail. */
  async function prepared(route: typeof DISABLE, options: { twoFactor?: boolean } = {}) {
    const user = await givenUser(t, options);
    const before = route === ENABLE ? DISABLE : route === UNBAN ? BAN : null;
    if (before) {
      const body = reauthBody(t, user);
      await callAccount(t, before, user.token, body).expect(200);
      user.spentCode = body.verificationCode ?? user.spentCode;
    }
    return user;
  }

  const snapshot = async (id: string) => {
    const row = await userRow(t, id);
    return row && { banned: row.banned, disabled: row.disabled, bannedBy: row.bannedBy };
  };

  describe.each([DISABLE, ENABLE, BAN, UNBAN, DELETE_ACCOUNT].map((r) => [routeName(r), r] as const))('re-authentication of %s', (name, route) => {

    it(`${name} answers 401 "Unauthorized" without a token`, async () => {
      const res = await callAccount(t, route, null, { password: 'whatever' }).expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    });

    it(`${name} answers 400 for a missing password, before any password check, and changes nothing`, async () => {
      const user = await prepared(route);
      const before = await snapshot(user.id);
      const audit = await auditRows(t, user.id);
      const res = await callAccount(t, route, user.token, {}).expect(400);
      expect(res.body.error).toEqual(expect.any(String));
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password' })]));
      expect(await snapshot(user.id)).toEqual(before);
      expect(await auditRows(t, user.id)).toHaveLength(audit.length);
    });

    it(`${name} answers 400 for a password that is not a string, and for an unknown field`, async () => {
      const user = await prepared(route);
      const wrongType = await callAccount(t, route, user.token, { password: 12345678 }).expect(400);
      expect(wrongType.body.error).toBe('password must be a string');
      const unknown = await callAccount(t, route, user.token, { password: user.password, force: true }).expect(400);
      expect(unknown.body.error).toBe('property force should not exist');
      expect(await userRow(t, user.id)).not.toBeNull();
    });

    it(`${name} answers 401 "Invalid password" for a wrong password and changes nothing`, async () => {
      const user = await prepared(route);
      const before = await snapshot(user.id);
      const audit = await auditRows(t, user.id);
      const res = await callAccount(t, route, user.token, { password: 'not the password' }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalidPassword });
      expect(await snapshot(user.id)).toEqual(before);
      expect(await auditRows(t, user.id)).toHaveLength(audit.length);
    });

    it(`${name} with 2FA on answers 401 "2FA verification code is required" without a code`, async () => {
      const user = await prepared(route, { twoFactor: true });
      const before = await snapshot(user.id);
      const res = await callAccount(t, route, user.token, { password: user.password }).expect(401);
      expect(res.body).toEqual({ error: Messages.twoFactorCodeRequired });
      expect(await snapshot(user.id)).toEqual(before);
    });

    it(`${name} with 2FA on answers 401 "Invalid 2FA verification code" for a wrong or replayed code`, async () => {
      const user = await prepared(route, { twoFactor: true });
      const before = await snapshot(user.id);
      const audit = await auditRows(t, user.id);
      const spent = user.spentCode!;
      const wrong = spent === '000000' ? '111111' : '000000';
      const res = await callAccount(t, route, user.token, { password: user.password, verificationCode: wrong }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalid2faCode });
      // The code last accepted (by the 2FA setup or the prepared change) is refused: replay (RFC 6238 §5.2). It is
      // kept, not computed again: the test's clock runs with real time, which may have reached the next step.
      const replay = await callAccount(t, route, user.token, { password: user.password, verificationCode: spent }).expect(401);
      expect(replay.body).toEqual({ error: Messages.invalid2faCode });
      // The password is checked before the code.
      const badPassword = await callAccount(t, route, user.token, { password: 'nope', verificationCode: nextTotpCode(t, user.secret!) }).expect(401);
      expect(badPassword.body).toEqual({ error: Messages.invalidPassword });
      expect(await snapshot(user.id)).toEqual(before);
      expect(await auditRows(t, user.id)).toHaveLength(audit.length);
    });
  });

  describe('POST /api/auth/disable-account (seed 001)', () => {
    it('disables the account: 200 "Account disabled successfully", USER_DISABLE {email}, cancellations queued', async () => {
      const user = await givenUser(t);
      const subs = [uniqueSubscriptionId(), uniqueSubscriptionId()];
      await givenSubscription(t, user.id, 'DROP', subs[0]);
      await givenSubscription(t, user.id, 'VAULT', subs[1]);
      const res = await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountDisabledOk });
      const row = await userRow(t, user.id);
      expect(row).toMatchObject({ disabled: true, banned: false });
      const events = (await auditRows(t, user.id)).filter((e) => e.action === 'USER_DISABLE');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ userId: user.id, actorId: user.id, data: { email: user.email } });
      const queued = await outboxFor(t, subs);
      expect(queued.map((q) => q.subscriptionId).sort()).toEqual([...subs].sort());
      // Outbox rows hold the subscription id, never the user.
      for (const q of queued) expect(JSON.stringify(q)).not.toContain(user.id);
      const me = await t.http().get('/api/auth/me').set(bearer(user.token)).expect(200);
      expect(me.body.user).toMatchObject({ disabled: true, banned: false });
    });

    it('with 2FA on: accepts the password and a fresh TOTP code, or a recovery code', async () => {
      const a = await givenUser(t, { twoFactor: true });
      await callAccount(t, DISABLE, a.token, { password: a.password, verificationCode: nextTotpCode(t, a.secret!) }).expect(200);
      expect((await userRow(t, a.id))?.disabled).toBe(true);

      const b = await givenUser(t, { twoFactor: true });
      const res = await callAccount(t, DISABLE, b.token, { password: b.password, verificationCode: b.recoveryCodes![0] }).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountDisabledOk });
      // A recovery code works once.
      await callAccount(t, ENABLE, b.token, { password: b.password, verificationCode: b.recoveryCodes![0] }).expect(401);
      await callAccount(t, ENABLE, b.token, { password: b.password, verificationCode: b.recoveryCodes![1] }).expect(200);
    });

    it('queues nothing for a user without a subscription', async () => {
      const user = await givenUser(t);
      const before = await t.dataSource.query('SELECT COUNT(*) AS n FROM cancellation_outbox');
      await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
      const after = await t.dataSource.query('SELECT COUNT(*) AS n FROM cancellation_outbox');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
    });

    it('queues no cancellation when re-authentication fails', async () => {
      const user = await givenUser(t);
      const sub = uniqueSubscriptionId();
      await givenSubscription(t, user.id, 'MAILS', sub);
      await callAccount(t, DISABLE, user.token, { password: 'wrong password' }).expect(401);
      await callAccount(t, BAN, user.token, { password: 'wrong password' }).expect(401);
      await callAccount(t, DELETE_ACCOUNT, user.token, { password: 'wrong password' }).expect(401);
      expect(await outboxFor(t, [sub])).toHaveLength(0);
    });

    it('an already restricted account cannot disable or ban again: 403', async () => {
      const user = await givenUser(t);
      await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
      const again = await callAccount(t, DISABLE, user.token, { password: user.password }).expect(403);
      expect(again.body).toEqual({ error: Messages.accountDisabled });
      const ban = await callAccount(t, BAN, user.token, { password: user.password }).expect(403);
      expect(ban.body).toEqual({ error: Messages.accountDisabled });
      expect((await auditActions(t, user.id)).sort()).toEqual(['SESSION_CREATE', 'USER_DISABLE', 'USER_REGISTER']);
    });
  });

  describe('DELETE /api/auth/disable-account (seed 001)', () => {
    it('enables a disabled account: 200 "Account enabled successfully", USER_UPDATE {action:"account_enabled"}', async () => {
      const user = await givenUser(t);
      await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(403);
      const res = await callAccount(t, ENABLE, user.token, { password: user.password }).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountEnabledOk });
      expect((await userRow(t, user.id))?.disabled).toBe(false);
      const updates = (await auditRows(t, user.id)).filter((e) => e.action === 'USER_UPDATE');
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({ userId: user.id, actorId: user.id, data: { action: 'account_enabled' } });
      // Restricted mode ends at once.
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Back' }).expect(200);
    });

    it('with 2FA on: needs the code, then enables', async () => {
      const user = await givenUser(t, { twoFactor: true });
      await callAccount(t, DISABLE, user.token, reauthBody(t, user)).expect(200);
      await callAccount(t, ENABLE, user.token, { password: user.password }).expect(401);
      await callAccount(t, ENABLE, user.token, reauthBody(t, user)).expect(200);
      expect((await userRow(t, user.id))?.disabled).toBe(false);
    });

    it('answers 400 "Account is not disabled" for an account that is not disabled, and audits nothing', async () => {
      const user = await givenUser(t);
      const res = await callAccount(t, ENABLE, user.token, { password: user.password }).expect(400);
      expect(res.body).toEqual({ error: Messages.accountNotDisabled });
      expect((await auditActions(t, user.id)).sort()).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
    });

    it('re-authentication comes first: a wrong password on an enabled account is 401, not 400', async () => {
      const user = await givenUser(t);
      const res = await callAccount(t, ENABLE, user.token, { password: 'wrong password' }).expect(401);
      expect(res.body).toEqual({ error: Messages.invalidPassword });
      const twoFa = await givenUser(t, { twoFactor: true });
      const noCode = await callAccount(t, ENABLE, twoFa.token, { password: twoFa.password }).expect(401);
      expect(noCode.body).toEqual({ error: Messages.twoFactorCodeRequired });
    });
  });

  describe('POST /api/auth/ban-account (seed 002)', () => {
    it('bans the account: 200 "Account banned successfully", a self-ban, USER_BAN {email}, cancellations queued', async () => {
      const user = await givenUser(t);
      const sub = uniqueSubscriptionId();
      await givenSubscription(t, user.id, 'DB', sub);
      const res = await callAccount(t, BAN, user.token, { password: user.password }).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountBannedOk });
      const row = await userRow(t, user.id);
      expect(row).toMatchObject({ banned: true, bannedBy: user.id, banReason: null, bannedUntil: null, disabled: false });
      expect(row?.bannedAt).toBeInstanceOf(Date);
      const events = (await auditRows(t, user.id)).filter((e) => e.action === 'USER_BAN');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ userId: user.id, actorId: user.id, data: { email: user.email } });
      expect((await outboxFor(t, [sub])).map((q) => q.subscriptionId)).toEqual([sub]);
      const me = await t.http().get('/api/auth/me').set(bearer(user.token)).expect(200);
      expect(me.body.user).toMatchObject({ banned: true, disabled: false });
      const patch = await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(403);
      expect(patch.body).toEqual({ error: Messages.accountBanned });
    });

    it('with 2FA on: needs a valid code', async () => {
      const user = await givenUser(t, { twoFactor: true });
      await callAccount(t, BAN, user.token, { password: user.password, verificationCode: '12345' }).expect(401);
      await callAccount(t, BAN, user.token, reauthBody(t, user)).expect(200);
      expect((await userRow(t, user.id))?.banned).toBe(true);
    });

    it('a banned account cannot disable itself: 403 "Account is banned"', async () => {
      const user = await givenUser(t);
      await callAccount(t, BAN, user.token, { password: user.password }).expect(200);
      const res = await callAccount(t, DISABLE, user.token, { password: user.password }).expect(403);
      expect(res.body).toEqual({ error: Messages.accountBanned });
      expect((await userRow(t, user.id))?.disabled).toBe(false);
    });
  });

  describe('DELETE /api/auth/ban-account (seed 002)', () => {
    it('lifts a self-imposed ban: 200 "Account unbanned successfully", USER_UPDATE {action:"account_unbanned"}', async () => {
      const user = await givenUser(t, { twoFactor: true });
      await callAccount(t, BAN, user.token, reauthBody(t, user)).expect(200);
      const res = await callAccount(t, UNBAN, user.token, reauthBody(t, user)).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountUnbannedOk });
      expect(await userRow(t, user.id)).toMatchObject({ banned: false, bannedBy: null, bannedAt: null, banReason: null, bannedUntil: null });
      const updates = (await auditRows(t, user.id)).filter((e) => e.action === 'USER_UPDATE');
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({ userId: user.id, actorId: user.id, data: { action: 'account_unbanned' } });
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Free' }).expect(200);
    });

    it('answers 400 "Account is not banned" for an account that is not banned, and audits nothing', async () => {
      const user = await givenUser(t);
      const res = await callAccount(t, UNBAN, user.token, { password: user.password }).expect(400);
      expect(res.body).toEqual({ error: Messages.accountNotBanned });
      expect((await auditActions(t, user.id)).sort()).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
    });

    it("answers 403 \"Ban can only be lifted by an administrator\" for an administrator's ban, and keeps it", async () => {
      const admin = await givenUser(t);
      const user = await givenUser(t);
      await givenAdminBan(t, user.id, admin.id);
      const wrong = await callAccount(t, UNBAN, user.token, { password: 'wrong password' }).expect(401);
      expect(wrong.body).toEqual({ error: Messages.invalidPassword });
      const res = await callAccount(t, UNBAN, user.token, { password: user.password }).expect(403);
      expect(res.body).toEqual({ error: Messages.banAdminOnly });
      expect(await userRow(t, user.id)).toMatchObject({ banned: true, bannedBy: admin.id, banReason: 'Terms of service' });
      expect((await auditActions(t, user.id)).sort()).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(403);
    });

    it("an administrator's ban that has lapsed no longer restricts, and there is nothing to lift: 400", async () => {
      const admin = await givenUser(t);
      const user = await givenUser(t);
      await givenAdminBan(t, user.id, admin.id, new Date(t.clock.nowMs() + 60_000));
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(403);
      t.clock.advance(61_000);
      await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'x' }).expect(200);
      const res = await callAccount(t, UNBAN, user.token, { password: user.password }).expect(400);
      expect(res.body).toEqual({ error: Messages.accountNotBanned });
    });

    it('banned wins over disabled; enabling a banned account is allowed but it stays banned', async () => {
      const user = await givenUser(t);
      await callAccount(t, DISABLE, user.token, { password: user.password }).expect(200);
      const admin = await givenUser(t);
      await givenAdminBan(t, user.id, admin.id);
      const refused = await t.http().get('/api/audit').set(bearer(user.token)).expect(403);
      expect(refused.body).toEqual({ error: Messages.accountBanned });
      await callAccount(t, ENABLE, user.token, { password: user.password }).expect(200);
      const still = await t.http().get('/api/audit').set(bearer(user.token)).expect(403);
      expect(still.body).toEqual({ error: Messages.accountBanned });
    });
  });
});

describe('Account: without POLAR_ACCESS_TOKEN nothing is queued', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { POLAR_ACCESS_TOKEN: undefined } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('disable, ban and delete succeed and write no outbox row', async () => {
    const subs = [uniqueSubscriptionId(), uniqueSubscriptionId(), uniqueSubscriptionId()];
    const a = await givenUser(t);
    await givenSubscription(t, a.id, 'DROP', subs[0]);
    await callAccount(t, DISABLE, a.token, { password: a.password }).expect(200);
    const b = await givenUser(t);
    await givenSubscription(t, b.id, 'DROP', subs[1]);
    await callAccount(t, BAN, b.token, { password: b.password }).expect(200);
    const c = await givenUser(t, { twoFactor: true });
    await givenSubscription(t, c.id, 'MAILS', subs[2]);
    const res = await callAccount(t, DELETE_ACCOUNT, c.token, reauthBody(t, c)).expect(200);
    expect(res.body).toEqual({ success: true, message: Messages.accountDeletedOk });
    expect(await outboxFor(t, subs)).toHaveLength(0);
    expect(await auditActions(t, a.id)).toContain('USER_DISABLE');
    expect(await auditActions(t, b.id)).toContain('USER_BAN');
    expect(await userRow(t, c.id)).toBeNull();
  });
});
