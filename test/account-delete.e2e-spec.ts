import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IS_PUBLIC_KEY } from '../src/auth/decorators/public.decorator';
import { User } from '../src/auth/entities/user.entity';
import { PasswordService } from '../src/auth/password.service';
import { DeletionLedgerEntry } from '../src/audit/entities/deletion-ledger.entity';
import { Messages } from '../src/common/messages';
import { Reflector } from '@nestjs/core';
import {
  BAN,
  DELETE_ACCOUNT,
  DISABLE,
  ENABLE,
  IMAGES,
  UNBAN,
  type AccountRoute,
  auditActions,
  callAccount,
  givenAdminBan,
  givenSubscription,
  outboxFor,
  reauthBody,
  routeName,
  uniqueSubscriptionId,
  userRow,
} from './support/account';
import { bearer, givenUser, nextTotpCode, uniqueEmail } from './support/given';
import { concretePath, listRoutes } from './support/routes';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * The real password check, plus a gate the test can close: a request held here has
 * passed the token check and loaded its user row (ReauthGuard) but not yet reached the
 * handler. That makes "the account vanished meanwhile" reproducible instead of a race
 * the test may or may not hit. Nothing about the database is replaced.
 */
class GatedPasswordService extends PasswordService {
  private toHold = 0;
  private held: (() => void)[] = [];
  private onHeld: (() => void) | null = null;

  /** Holds the next verify() call; resolves once a request is held there. */
  holdNext(): Promise<void> {
    this.toHold += 1;
    return new Promise((resolve) => (this.onHeld = resolve));
  }

  release(): void {
    const held = this.held;
    this.held = [];
    held.forEach((go) => go());
  }

  override async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const ok = await super.verify(password, hash);
    if (this.toHold > 0) {
      this.toHold -= 1;
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        this.onHeld?.();
      });
    }
    return ok;
  }
}

/** Tables whose rows belong to a user (spec: deletion removes them all). */
const USER_TABLES = ['sessions', 'service_entitlements', 'audit_logs', 'recovery_codes', 'pending_logins'];

describe('POST /api/auth/delete-account (seed 003)', () => {
  let t: TestApp;
  let gate: GatedPasswordService;
  const avatarDir = process.env.AVATAR_DIR as string;

  beforeAll(async () => {
    t = await createTestApp({
      env: { POLAR_ACCESS_TOKEN: 'polar_at_test_0123456789', POLAR_API_URL: 'http://127.0.0.1:9', TRUST_PROXY: 'loopback' },
      customize: (b) => b.overrideProvider(PasswordService).useClass(GatedPasswordService),
    });
    gate = t.app.get(PasswordService);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const countWhere = async (table: string, column: string, id: string) => {
    const row = await t.dataSource.createQueryBuilder().select('COUNT(*)', 'n').from(table, 'x').where(`x.${column} = :id`, { id }).getRawOne();
    return Number(row.n);
  };

  const ledger = (userId: string) => t.dataSource.getRepository(DeletionLedgerEntry).find({ where: { userId } });

  it('deletes the account: 200 {success:true, message:"Account deleted successfully"}', async () => {
    const user = await givenUser(t);
    const res = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
    expect(res.body).toEqual({ success: true, message: Messages.accountDeletedOk });
    expect(await userRow(t, user.id)).toBeNull();
  });

  it('with 2FA on: 401 without a code, 401 for a wrong code (account kept), 200 with a fresh code', async () => {
    const user = await givenUser(t, { twoFactor: true });
    const noCode = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(401);
    expect(noCode.body).toEqual({ error: Messages.twoFactorCodeRequired });
    const wrong = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password, verificationCode: '000001' }).expect(401);
    expect(wrong.body).toEqual({ error: Messages.invalid2faCode });
    expect(await userRow(t, user.id)).not.toBeNull();
    expect(await ledger(user.id)).toHaveLength(0);
    const res = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password, verificationCode: nextTotpCode(t, user.secret!) }).expect(200);
    expect(res.body).toEqual({ success: true, message: Messages.accountDeletedOk });
    expect(await userRow(t, user.id)).toBeNull();
  });

  it('leaves no row holding the old id in any table, keeps the ledger record, queues cancellations by subscription id', async () => {
    const user = await givenUser(t, { twoFactor: true, displayName: 'Doomed' });
    const bystander = await givenUser(t);
    const subs = [uniqueSubscriptionId(), uniqueSubscriptionId()];
    await givenSubscription(t, user.id, 'DROP', subs[0]);
    await givenSubscription(t, user.id, 'MAILS', subs[1]);
    await givenSubscription(t, bystander.id, 'DROP', uniqueSubscriptionId());
    // Storage setup: a custom domain is a users column (the ConnectModule route needs an enterprise plan).
    const domain = `${user.id.slice(0, 8)}.example.org`;
    await t.dataSource.getRepository(User).update({ id: user.id }, { customDomain: domain, customDomainVerified: true });
    // A second session from another address, and a 2FA pending login.
    await t.http().post('/api/auth/login').set('X-Forwarded-For', '198.51.100.20').send({ email: user.email, password: user.password }).expect(200);
    t.clock.advance(30_000);
    const upload = await t.http().post('/api/avatar').set(bearer(user.token)).attach('avatar', IMAGES.png, 'me.png').expect(200);
    const avatarFolder = join(avatarDir, user.id);
    expect(existsSync(join(avatarDir, upload.body.avatar))).toBe(true);
    await t.http().post('/api/avatar').set(bearer(bystander.token)).attach('avatar', IMAGES.gif, 'b.gif').expect(200);

    for (const table of USER_TABLES) expect(await countWhere(table, 'user_id', user.id)).toBeGreaterThan(0);

    await callAccount(t, DELETE_ACCOUNT, user.token, reauthBody(t, user)).expect(200);

    expect(await countWhere('users', 'id', user.id)).toBe(0);
    for (const table of USER_TABLES) expect({ table, rows: await countWhere(table, 'user_id', user.id) }).toEqual({ table, rows: 0 });
    expect(await countWhere('audit_logs', 'actor_id', user.id)).toBe(0);
    expect(await countWhere('users', 'custom_domain', domain)).toBe(0);

    // Nothing anywhere still names the account, except the ledger, which keeps the id only.
    const tables = t.dataSource.entityMetadatas.map((m) => m.tableName).filter((n) => n !== 'deletion_ledger');
    for (const table of tables) {
      const rows = await t.dataSource.createQueryBuilder().select('*').from(table, 'x').getRawMany();
      const text = JSON.stringify(rows);
      expect({ table, holdsId: text.includes(user.id), holdsEmail: text.includes(user.email) }).toEqual({ table, holdsId: false, holdsEmail: false });
    }
    const records = await ledger(user.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ userId: user.id, action: 'USER_DELETE', emailHmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(records[0].deletedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(records)).not.toContain(user.email);

    const queued = await outboxFor(t, subs);
    expect(queued.map((q) => q.subscriptionId).sort()).toEqual([...subs].sort());
    expect(JSON.stringify(queued)).not.toContain(user.id);

    // Files go after the commit; the bystander keeps everything.
    expect(existsSync(avatarFolder)).toBe(false);
    expect(await userRow(t, bystander.id)).not.toBeNull();
    expect(await countWhere('sessions', 'user_id', bystander.id)).toBe(1);
    await t.http().get('/api/avatar').set(bearer(bystander.token)).expect(200);
  });

  it("refuses the deleted account's token with 401 on every authenticated route", async () => {
    const user = await givenUser(t);
    await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
    const reflector = t.app.get(Reflector);
    const failures: string[] = [];
    for (const r of listRoutes(t)) {
      if (reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [r.handler as never, r.controller as never])) continue;
      const res = await t.http()[r.method.toLowerCase() as 'get'](concretePath(r.path)).set(bearer(user.token)).send({ password: user.password });
      if (res.status !== 401 || res.body.error !== Messages.unauthorized) failures.push(`${r.method} ${r.path} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
    const verify = await t.http().post('/api/auth/verify').send({ token: user.token }).expect(401);
    expect(verify.body).toEqual({ error: Messages.invalidToken });
  });

  it('lets the email register again as a new account with an empty history', async () => {
    const user = await givenUser(t);
    await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Before' }).expect(200);
    await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
    const again = await t.http().post('/api/auth/register').send({ email: user.email, password: 'a brand new password' }).expect(201);
    expect(again.body.user.email).toBe(user.email);
    expect(again.body.user.id).not.toBe(user.id);
    const audit = await t.http().get('/api/audit').set(bearer(again.body.token)).expect(200);
    expect(audit.body.logs.map((l: { action: string }) => l.action).sort()).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
    // The old password is not the new account's.
    await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(401);
  });

  it('writes no audit event for the deleted user, only the ledger record', async () => {
    const user = await givenUser(t);
    await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
    expect(await auditActions(t, user.id)).toEqual([]);
    expect(await ledger(user.id)).toHaveLength(1);
  });

  describe("while an administrator's ban stands", () => {
    it('answers 403 {"error":"Account is banned"} and deletes nothing', async () => {
      const admin = await givenUser(t);
      const user = await givenUser(t);
      const sub = uniqueSubscriptionId();
      await givenSubscription(t, user.id, 'VAULT', sub);
      await givenAdminBan(t, user.id, admin.id);
      const wrong = await callAccount(t, DELETE_ACCOUNT, user.token, { password: 'wrong password' }).expect(401);
      expect(wrong.body).toEqual({ error: Messages.invalidPassword });
      const res = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(403);
      expect(res.body).toEqual({ error: Messages.accountBanned });
      expect(await userRow(t, user.id)).not.toBeNull();
      expect(await ledger(user.id)).toHaveLength(0);
      expect(await outboxFor(t, [sub])).toHaveLength(0);
      expect(await countWhere('sessions', 'user_id', user.id)).toBe(1);
      // The email cannot be freed for a fresh registration.
      await t.http().post('/api/auth/register').send({ email: user.email, password: 'another password' }).expect(409);
    });

    it('a self-imposed ban, a disabled account and a lapsed administrator ban may delete', async () => {
      const selfBanned = await givenUser(t);
      await callAccount(t, BAN, selfBanned.token, { password: selfBanned.password }).expect(200);
      await callAccount(t, DELETE_ACCOUNT, selfBanned.token, { password: selfBanned.password }).expect(200);

      const disabled = await givenUser(t);
      await callAccount(t, DISABLE, disabled.token, { password: disabled.password }).expect(200);
      await callAccount(t, DELETE_ACCOUNT, disabled.token, { password: disabled.password }).expect(200);

      const admin = await givenUser(t);
      const lapsed = await givenUser(t);
      await givenAdminBan(t, lapsed.id, admin.id, new Date(t.clock.nowMs() + 1000));
      t.clock.advance(2000);
      await callAccount(t, DELETE_ACCOUNT, lapsed.token, { password: lapsed.password }).expect(200);

      for (const u of [selfBanned, disabled, lapsed]) expect(await userRow(t, u.id)).toBeNull();
    });
  });

  describe('concurrency', () => {
    it('two deletes: one 200, the other 404 "User not found" (it passed re-authentication before the first committed)', async () => {
      const user = await givenUser(t);
      const sub = uniqueSubscriptionId();
      await givenSubscription(t, user.id, 'DB', sub);
      const held = gate.holdNext();
      const first = callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).then((r) => r);
      await held;
      const second = await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password });
      expect(second.status).toBe(200);
      gate.release();
      const late = await first;
      expect(late.status).toBe(404);
      expect(late.body).toEqual({ error: Messages.userNotFound });
      expect(await ledger(user.id)).toHaveLength(1);
      expect(await outboxFor(t, [sub])).toHaveLength(1);
    });

    it.each([DISABLE, ENABLE, BAN, UNBAN].map((r) => [routeName(r), r] as const))('%s for an account deleted meanwhile answers 404 "User not found"', async (_name: string, route: AccountRoute) => {
      const user = await givenUser(t);
      const held = gate.holdNext();
      const pending = callAccount(t, route, user.token, { password: user.password }).then((r) => r);
      await held;
      await callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).expect(200);
      gate.release();
      const res = await pending;
      expect({ route: routeName(route), status: res.status, body: res.body }).toEqual({
        route: routeName(route),
        status: 404,
        body: { error: Messages.userNotFound },
      });
    });

    it('several deletes at once: exactly one 200, the others 404 or 401, never a 500, one ledger record', async () => {
      const user = await givenUser(t, { email: uniqueEmail('race') });
      const results = await Promise.all(
        Array.from({ length: 4 }, () => callAccount(t, DELETE_ACCOUNT, user.token, { password: user.password }).then((r) => r)),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.every((s) => [200, 401, 404].includes(s))).toBe(true);
      expect(await ledger(user.id)).toHaveLength(1);
      expect(await userRow(t, user.id)).toBeNull();
    });
  });
});
