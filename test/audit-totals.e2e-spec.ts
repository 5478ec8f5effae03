import { AuditLogTotal } from '../src/audit/entities/audit-log-total.entity';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { DELETE_ACCOUNT, callAccount, reauthBody } from './support/account';
import { bearer, givenUser, uniqueEmail, type GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * The `total` of an audit page is read from audit_log_totals, which triggers on audit_logs
 * keep (migration AuditLogTotals). These tests hold the totals against the rows themselves,
 * whichever way the rows come and go.
 */
describe('Audit totals (audit_log_totals, kept by the database)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  /** The counts of the rows themselves, per action. */
  async function countedRows(userId: string): Promise<Record<string, number>> {
    const rows = await t.dataSource
      .getRepository(AuditLog)
      .createQueryBuilder('a')
      .select('a.action', 'action')
      .addSelect('COUNT(*)', 'n')
      .where('a.userId = :userId', { userId })
      .groupBy('a.action')
      .getRawMany<{ action: string; n: string | number }>();
    return Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
  }

  async function totals(userId: string): Promise<Record<string, number>> {
    const rows = await t.dataSource.getRepository(AuditLogTotal).find({ where: { userId } });
    return Object.fromEntries(rows.map((r) => [r.action, Number(r.total)]));
  }

  async function apiTotal(user: GivenUser, action?: string): Promise<number> {
    const res = await t
      .http()
      .get(`/api/audit?limit=1${action ? `&action=${action}` : ''}`)
      .set(bearer(user.token))
      .expect(200);
    return res.body.total as number;
  }

  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

  it('follow every event the app writes, per action, and the API reports them', async () => {
    const user = await givenUser(t);
    const other = await givenUser(t);
    await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'One' }).expect(200);
    await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Two' }).expect(200);
    await t.http().post('/api/auth/login').send({ email: user.email, password: 'wrong password!' }).expect(401);
    // An unknown email's LOGIN_FAILED has no subject: in no one's log, counted nowhere.
    await t.http().post('/api/auth/login').send({ email: uniqueEmail('nobody'), password: 'wrong password!' }).expect(401);

    const rows = await countedRows(user.id);
    expect(rows).toMatchObject({ USER_REGISTER: 1, SESSION_CREATE: 1, USER_UPDATE: 2, LOGIN_FAILED: 1 });
    expect(await totals(user.id)).toEqual(rows);
    expect(await apiTotal(user)).toBe(sum(rows));
    expect(await apiTotal(user, 'USER_UPDATE')).toBe(2);
    expect(await apiTotal(user, 'TWO_FACTOR_ENABLE')).toBe(0);
    expect(await totals(other.id)).toEqual(await countedRows(other.id));
    expect(await apiTotal(other)).toBe(2);
    const unowned = await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_log_totals WHERE user_id IS NULL');
    expect(Number(unowned[0].n)).toBe(0);
  });

  it('count a statement of many rows once each, and nothing of a transaction that rolls back', async () => {
    const user = await givenUser(t);
    const before = await totals(user.id);
    const repo = t.dataSource.getRepository(AuditLog);
    const event = (action: AuditLog['action']) =>
      repo.create({ userId: user.id, actorId: null, action, data: {}, createdAt: new Date() });
    await repo.insert([event('SUBSCRIPTION_UPDATE'), event('SUBSCRIPTION_UPDATE'), event('SUBSCRIPTION_CANCEL')]);
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.getRepository(AuditLog).insert([event('SUBSCRIPTION_UPDATE'), event('USER_BAN')]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await totals(user.id)).toEqual({ ...before, SUBSCRIPTION_UPDATE: 2, SUBSCRIPTION_CANCEL: 1 });
    expect(await totals(user.id)).toEqual(await countedRows(user.id));
  });

  it('follow deleted events, and drop an action whose count reaches zero', async () => {
    const user = await givenUser(t);
    await t.http().patch('/api/auth/me').set(bearer(user.token)).send({ displayName: 'Three' }).expect(200);
    await t.dataSource.getRepository(AuditLog).delete({ userId: user.id, action: 'USER_UPDATE' });
    await t.dataSource.getRepository(AuditLog).delete({ userId: user.id, action: 'SESSION_CREATE' });
    const left = await totals(user.id);
    expect(left).toEqual({ USER_REGISTER: 1 });
    expect(left).toEqual(await countedRows(user.id));
    expect(await apiTotal(user)).toBe(1);
  });

  it('refuse to move an event to another subject or action (the totals could not follow)', async () => {
    const user = await givenUser(t);
    const other = await givenUser(t);
    const repo = t.dataSource.getRepository(AuditLog);
    await expect(repo.update({ userId: user.id, action: 'USER_REGISTER' }, { userId: other.id })).rejects.toThrow(/fixed once written/);
    await expect(repo.update({ userId: user.id, action: 'USER_REGISTER' }, { action: 'USER_BAN' })).rejects.toThrow(/fixed once written/);
    // Other columns may still change (nothing in the app does).
    await repo.update({ userId: user.id, action: 'USER_REGISTER' }, { actorId: other.id });
    expect(await totals(user.id)).toEqual({ USER_REGISTER: 1, SESSION_CREATE: 1 });
  });

  it('go with the account when it is deleted', async () => {
    const user = await givenUser(t);
    expect(Object.keys(await totals(user.id)).length).toBeGreaterThan(0);
    await callAccount(t, DELETE_ACCOUNT, user.token, reauthBody(t, user)).expect(200);
    expect(await totals(user.id)).toEqual({});
    expect(await countedRows(user.id)).toEqual({});
  });
});
