import type { Response } from 'supertest';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import type { AuditAction } from '../src/audit/audit-actions';
import { DeletionLedgerEntry } from '../src/audit/entities/deletion-ledger.entity';
import { Session } from '../src/auth/entities/session.entity';
import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import { givenAdmin } from './support/admin';
import { bearer, givenUser, uniqueEmail, type GivenUser } from './support/given';
import { integrityProblems } from './support/integrity';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * Concurrency: requests that race for one account or one row. Whatever the interleaving,
 * no 500, no duplicate row, and the audit log agrees with the state that won. Real races
 * need PostgreSQL (SQLite serialises transactions); CI runs this file on both.
 */
const statuses = (responses: Response[]) => responses.map((r) => r.status).sort();
const count = (responses: Response[], status: number, message?: string) =>
  responses.filter((r) => r.status === status && (message === undefined || r.body.message === message || r.body.error === message)).length;

describe('Races', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterEach(async () => {
    expect(await integrityProblems(t)).toEqual([]);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const events = (userId: string, action?: AuditAction) =>
    t.dataSource.getRepository(AuditLog).count({ where: action ? { userId, action } : { userId } });
  const user = (id: string) => t.dataSource.getRepository(User).findOneBy({ id });
  const at = <T>(n: number, make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  const noServerError = (responses: Response[]) =>
    expect(responses.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);

  it('concurrent registrations of one email: one 201, the rest 409 "User already exists"; one row, one USER_REGISTER', async () => {
    const email = uniqueEmail('race');
    const res = await at(8, () => t.http().post('/api/auth/register').send({ email, password: 'correct horse battery' }));
    noServerError(res);
    expect(statuses(res)).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of res.filter((x) => x.status === 409)) expect(r.body).toEqual({ error: Messages.userExists });
    const rows = await t.dataSource.getRepository(User).findBy({ email });
    expect(rows).toHaveLength(1);
    expect(await events(rows[0].id, 'USER_REGISTER')).toBe(1);
    expect(await t.dataSource.getRepository(Session).countBy({ userId: rows[0].id })).toBe(1);
    expect(await events(rows[0].id, 'SESSION_CREATE')).toBe(1);
  });

  it('concurrent logins from one IP reuse one session: all 200, one session row, one SESSION_CREATE, a USER_LOGIN each', async () => {
    const u = await givenUser(t);
    const ip = '198.51.100.40';
    // five: more concurrent attempts than the failure limit are refused 429 until they settle (see the next test)
    const res = await at(5, () => t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }));
    noServerError(res);
    expect(statuses(res)).toEqual(Array(5).fill(200));
    const sids = new Set(res.map((r) => JSON.parse(Buffer.from((r.body.token as string).split('.')[1], 'base64url').toString()).sid as string));
    expect(sids.size).toBe(1);
    // the registration's session (another address) and the one reused by all five logins
    expect(await t.dataSource.getRepository(Session).countBy({ userId: u.id })).toBe(2);
    expect(await events(u.id, 'SESSION_CREATE')).toBe(2);
    expect(await events(u.id, 'USER_LOGIN')).toBe(5);
  });

  it('concurrent wrong passwords from one IP: never more guesses evaluated than the limit (5), the rest 429', async () => {
    const u = await givenUser(t);
    const ip = '198.51.100.41';
    const res = await at(12, (i) => t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: `guess-${i}-xxxxxx` }));
    noServerError(res);
    const evaluated = count(res, 401, Messages.invalidCredentials);
    expect({ evaluated, limited: count(res, 429) }).toEqual({ evaluated: 5, limited: 7 });
    expect(await t.dataSource.getRepository(AuditLog).countBy({ userId: u.id, action: 'LOGIN_FAILED' })).toBe(evaluated);
  });

  it('concurrent deletes of one account: one 200, the others 404 "User not found" or 401; one ledger record, nothing left', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    const res = await at(5, () => t.http().post('/api/auth/delete-account').set(bearer(u.token)).send({ password: u.password }));
    noServerError(res);
    expect(count(res, 200, Messages.accountDeletedOk)).toBe(1);
    for (const r of res.filter((x) => x.status !== 200)) {
      expect([
        { status: 404, body: { error: Messages.userNotFound } },
        { status: 401, body: { error: Messages.unauthorized } },
      ]).toContainEqual({ status: r.status, body: r.body });
    }
    expect(await user(u.id)).toBeNull();
    expect(await t.dataSource.getRepository(DeletionLedgerEntry).countBy({ userId: u.id })).toBe(1);
    expect(await events(u.id)).toBe(0);
    expect(await t.dataSource.getRepository(Entitlement).countBy({ userId: u.id })).toBe(0);
  });

  it('concurrent delete, ban and disable of one account: no 500; deleted for good, with one ledger record and no events left', async () => {
    const u = await givenUser(t);
    const reauth = { password: u.password };
    const res = await Promise.all([
      t.http().post('/api/auth/ban-account').set(bearer(u.token)).send(reauth),
      t.http().post('/api/auth/disable-account').set(bearer(u.token)).send(reauth),
      t.http().post('/api/auth/delete-account').set(bearer(u.token)).send(reauth),
      t.http().post('/api/auth/ban-account').set(bearer(u.token)).send(reauth),
      t.http().post('/api/auth/disable-account').set(bearer(u.token)).send(reauth),
    ]);
    noServerError(res);
    // deletion is open to restricted accounts, so it wins whatever ran before it
    expect(res[2].status).toBe(200);
    for (const r of [res[0], res[1], res[3], res[4]]) expect([200, 401, 403, 404]).toContain(r.status);
    expect(await user(u.id)).toBeNull();
    expect(await t.dataSource.getRepository(DeletionLedgerEntry).countBy({ userId: u.id })).toBe(1);
    expect(await events(u.id)).toBe(0);
  });

  it('concurrent bans and disables of one account: the flags are set by exactly the requests that answered 200, each audited once', async () => {
    const u = await givenUser(t);
    const reauth = { password: u.password };
    const res = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.http().post(i % 2 ? '/api/auth/disable-account' : '/api/auth/ban-account').set(bearer(u.token)).send(reauth)),
    );
    noServerError(res);
    const bans = res.filter((_, i) => i % 2 === 0);
    const disables = res.filter((_, i) => i % 2 === 1);
    // once restricted, neither route is open: the late ones answer 403 with the restriction. A
    // re-authentication is a claim on the failed-login limit while its password is checked, and
    // at most 5 of one email and IP are in flight: a sixth that arrives while five are still
    // checked answers 429 (whether it does depends on timing, e.g. the Redis store's round trips).
    for (const r of res.filter((x) => x.status !== 200)) {
      if (r.status === 429) expect(r.body).toEqual({ error: Messages.tooManyRequests });
      else expect([Messages.accountBanned, Messages.accountDisabled]).toContain(r.body.error);
    }
    const row = (await user(u.id))!;
    expect(row.banned).toBe(count(bans, 200) > 0);
    expect(row.disabled).toBe(count(disables, 200) > 0);
    expect(count(res, 200)).toBeGreaterThan(0);
    expect(await events(u.id, 'USER_BAN')).toBe(count(bans, 200));
    expect(await events(u.id, 'USER_DISABLE')).toBe(count(disables, 200));
  });

  describe('an administrator’s change racing the user’s deletion: either the account is gone (404) or the change landed first; never a 500', () => {
    const changes: [string, (id: string, token: string) => Promise<Response>, string][] = [
      ['ban', (id, token) => t.http().post(`/api/admin/users/${id}/ban`).set(bearer(token)).send({ reason: 'race' }), 'USER_BAN'],
      ['role grant', (id, token) => t.http().put(`/api/admin/users/${id}/role`).set(bearer(token)), 'USER_UPDATE'],
      ['entitlement', (id, token) => t.http().patch(`/api/admin/users/${id}`).set(bearer(token)).send({ service: 'DROP', tier: 'premium', isPremium: true }), 'SERVICE_ACCESS_GRANT'],
    ];
    it.each(changes)('%s', async (name, change, action) => {
      const admin = await givenAdmin(t);
      for (let round = 0; round < 6; round++) {
        const u = await givenUser(t);
        const del = () => t.http().post('/api/auth/delete-account').set(bearer(u.token)).send({ password: u.password });
        const [d, c] = round % 2 ? await Promise.all([del(), change(u.id, admin.token)]) : (await Promise.all([change(u.id, admin.token), del()])).reverse();
        noServerError([d, c]);
        const row = await user(u.id);
        if (d.status === 200) {
          // deleted: the change either came first and went with the account, or found no one
          expect([200, 404]).toContain(c.status);
          if (c.status === 404) expect(c.body).toEqual({ error: Messages.userNotFound });
          expect(row).toBeNull();
          expect(await t.dataSource.getRepository(DeletionLedgerEntry).countBy({ userId: u.id })).toBe(1);
          expect(await events(u.id)).toBe(0);
        } else {
          // only an administrator's ban stops a deletion
          expect({ change: name, delete: d.status, body: d.body }).toEqual({ change: 'ban', delete: 403, body: { error: Messages.accountBanned } });
          expect(c.status).toBe(200);
          expect(row).toMatchObject({ banned: true, bannedBy: admin.id });
          expect(await events(u.id, action as AuditAction)).toBe(1);
          expect(await t.dataSource.getRepository(DeletionLedgerEntry).countBy({ userId: u.id })).toBe(0);
        }
      }
    });
  });

  describe('the user’s own change racing its deletion: done before it, or 404 "User not found" / 401 after it; never a 500', () => {
    const changes: [string, (u: GivenUser) => Promise<Response>][] = [
      ['password change', (u) => t.http().post('/api/auth/password').set(bearer(u.token)).send({ currentPassword: u.password, newPassword: 'another horse battery' })],
      ['profile change', (u) => t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: 'Racing' })],
      ['free-tier claim', (u) => t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DB' })],
    ];
    it.each(changes)('%s', async (_name, change) => {
      for (let round = 0; round < 6; round++) {
        const u = await givenUser(t);
        const del = () => t.http().post('/api/auth/delete-account').set(bearer(u.token)).send({ password: u.password });
        const [d, c] = round % 2 ? await Promise.all([del(), change(u)]) : (await Promise.all([change(u), del()])).reverse();
        noServerError([d, c]);
        expect(d.status).toBe(200);
        expect([200, 401, 404]).toContain(c.status);
        expect(await user(u.id)).toBeNull();
        expect(await events(u.id)).toBe(0);
      }
    });
  });

  describe('entitlements', () => {
    let u: GivenUser;
    beforeEach(async () => {
      u = await givenUser(t);
    });

    it('concurrent free-tier claims of one service: one row, one SERVICE_ACCESS_GRANT, every answer names it', async () => {
      const res = await at(6, () => t.http().post('/api/services').set(bearer(u.token)).send({ service: 'MAILS' }));
      noServerError(res);
      expect(statuses(res)).toEqual(Array(6).fill(200));
      expect(new Set(res.map((r) => r.body.entitlement.id)).size).toBe(1);
      expect(await t.dataSource.getRepository(Entitlement).countBy({ userId: u.id, service: 'MAILS' })).toBe(1);
      expect(await events(u.id, 'SERVICE_ACCESS_GRANT')).toBe(1);
    });

    it('concurrent connects and disconnects: one row; each real change audited once; the final state is what the events say', async () => {
      await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200); // starts connected
      const res = await at(10, (i) => t.http().post(i % 2 ? '/api/connect/connect' : '/api/connect/disconnect').set(bearer(u.token)).send({ service: 'DROP' }));
      noServerError(res);
      expect(statuses(res)).toEqual(Array(10).fill(200));
      const rows = await t.dataSource.getRepository(Entitlement).findBy({ userId: u.id, service: 'DROP' });
      expect(rows).toHaveLength(1);
      const connects = await events(u.id, 'SERVICE_ENTITLEMENT_CONNECT');
      const disconnects = await events(u.id, 'SERVICE_ENTITLEMENT_DISCONNECT');
      expect(connects).toBe(count(res, 200, Messages.connectedOk));
      expect(disconnects).toBe(count(res, 200, Messages.disconnectedOk));
      // from connected, every disconnect is followed by at most one connect and vice versa
      expect(disconnects - connects).toBeGreaterThanOrEqual(0);
      expect(disconnects - connects).toBeLessThanOrEqual(1);
      expect(rows[0].connected).toBe(disconnects === connects);
      expect(disconnects).toBeGreaterThan(0);
    });
  });
});
