import type { EntitlementDto } from '../src/connect/dto/entitlement.dto';
import { User } from '../src/auth/entities/user.entity';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import type { Response } from 'supertest';
import { givenAdmin, givenEntitlement } from './support/admin';
import { deliverWebhook, subscriptionEvent } from './support/fake-polar';
import { bearer, givenUser, type GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * The token check reads a user's entitlements already in the contract's shape, written by the
 * database (UserEntitlementsColumn). Whatever the row holds, /auth/me, /auth/verify and
 * /connect/check must answer exactly what toEntitlementDto makes of the entity TypeORM reads,
 * as every other route that returns entitlements does. SQLite by default, PostgreSQL with
 * TEST_DATABASE_URL.
 */
describe('Entitlements read with the token check: the same JSON as toEntitlementDto', () => {
  let t: TestApp;
  let u: GivenUser;

  beforeAll(async () => {
    t = await createTestApp();
    u = await givenUser(t);
    const repo = t.dataSource.getRepository(Entitlement);
    const base = { userId: u.id, tier: 'free', polarSubscriptionId: null, polarSubscriptionStatus: null };
    await repo.insert([
      // every nullable column null, premium off, connected
      Object.assign(new Entitlement(), base, {
        service: 'DROP',
        isPremium: false,
        connected: true,
        accessFlags: null,
        metadata: null,
        customStorageLimit: null,
        customApiKeyLimit: null,
        createdAt: new Date('2026-01-31T23:59:59.999Z'),
        updatedAt: new Date('2026-02-28T00:00:00.000Z'),
      }),
      // nested JSON with text that needs escaping, limits of 0 and the largest integer, premium, disconnected
      Object.assign(new Entitlement(), base, {
        service: 'MAILS',
        tier: 'premium "pro"',
        isPremium: true,
        connected: false,
        accessFlags: { api: true, scopes: ['read', 'write'], nested: { quote: 'a"b\\c', unicode: 'ü 漢 🙂', n: 1.5 } },
        metadata: { note: 'line\nbreak', empty: {}, list: [] },
        customStorageLimit: 0,
        customApiKeyLimit: 2147483647,
        createdAt: new Date('2026-01-31T23:59:59.999Z'),
        updatedAt: new Date('2026-12-31T12:00:00.001Z'),
      }),
      // empty objects stored as such, a leap day, an old date
      Object.assign(new Entitlement(), base, {
        service: 'VAULT',
        isPremium: false,
        connected: true,
        accessFlags: {},
        metadata: {},
        customStorageLimit: 1024,
        customApiKeyLimit: null,
        createdAt: new Date('2024-02-29T08:09:10.020Z'),
        updatedAt: new Date('1999-12-31T23:59:59.000Z'),
      }),
    ]);
    // JSON null in the column (not SQL NULL): toEntitlementDto answers {} for it too.
    await t.dataSource.query(`UPDATE service_entitlements SET metadata = 'null' WHERE user_id = '${u.id}' AND service = 'VAULT'`);
    // A timestamp in a form other than the one TypeORM writes (no milliseconds; PostgreSQL: microseconds, another offset).
    const other = t.dataSource.options.type === 'postgres' ? '2026-03-01 10:00:00.123456+02' : '2026-03-01 10:00:00';
    await t.dataSource.query(`UPDATE service_entitlements SET updated_at = '${other}' WHERE user_id = '${u.id}' AND service = 'DROP'`);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  /** What the other routes answer: GET /api/services (EntitlementService.list: TypeORM's entities through toEntitlementDto). */
  const expected = async (): Promise<EntitlementDto[]> => {
    const res = await t.http().get('/api/services').set(bearer(u.token)).expect(200);
    return res.body.entitlements as EntitlementDto[];
  };

  it('holds the cases it means to: three rows, JSON null metadata, a timestamp in another form', async () => {
    const dtos = await expected();
    expect(dtos.map((e) => e.service)).toEqual(['VAULT', 'DROP', 'MAILS']);
    expect(dtos[0].metadata).toEqual({});
    expect(dtos[2].accessFlags).toMatchObject({ nested: { unicode: 'ü 漢 🙂' } });
    expect(dtos[1].updatedAt).toBe(t.dataSource.options.type === 'postgres' ? '2026-03-01T08:00:00.123Z' : '2026-03-01T10:00:00.000Z');
  });

  it('GET /api/auth/me: serviceAccess equals toEntitlementDto of every row, key order included', async () => {
    const res = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    const want = await expected();
    expect(res.body.user.serviceAccess).toEqual(want);
    expect(JSON.stringify(res.body.user.serviceAccess)).toBe(JSON.stringify(want));
  });

  it('POST /api/auth/verify: services equals toEntitlementDto of every row, key order included', async () => {
    const res = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
    const want = await expected();
    expect(res.body.valid).toBe(true);
    expect(res.body.services).toEqual(want);
    expect(JSON.stringify(res.body.services)).toBe(JSON.stringify(want));
  });

  it('GET /api/connect/check reads connected, tier and isPremium from the same column', async () => {
    const mails = await t.http().get('/api/connect/check?service=MAILS').set(bearer(u.token)).expect(200);
    expect(mails.body).toEqual({ connected: false, service: 'MAILS', tier: 'premium "pro"', isPremium: true });
    const drop = await t.http().get('/api/connect/check?service=DROP').set(bearer(u.token)).expect(200);
    expect(drop.body).toEqual({ connected: true, service: 'DROP', tier: 'free', isPremium: false });
  });

  it('a user without entitlements answers an empty list', async () => {
    const other = await givenUser(t);
    const me = await t.http().get('/api/auth/me').set(bearer(other.token)).expect(200);
    expect(me.body.user.serviceAccess).toEqual([]);
    const verify = await t.http().post('/api/auth/verify').send({ token: other.token }).expect(200);
    expect(verify.body.services).toEqual([]);
  });
});

/**
 * The column is kept by triggers on service_entitlements (migration UserEntitlementsJson):
 * every way an entitlement is written, by the app or by hand, leaves the token check
 * answering what GET /api/services answers.
 */
describe('Entitlements read with the token check: kept current by every write', () => {
  let t: TestApp;
  const DROP_SECRET = 'drop-webhook-secret';

  beforeAll(async () => {
    t = await createTestApp({ env: { DROP_POLAR_SECRET: DROP_SECRET } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const services = async (u: GivenUser): Promise<EntitlementDto[]> =>
    (await t.http().get('/api/services').set(bearer(u.token)).expect(200)).body.entitlements as EntitlementDto[];
  /** /me and /verify both answer exactly what GET /api/services does. */
  const expectCurrent = async (u: GivenUser): Promise<EntitlementDto[]> => {
    const want = await services(u);
    const me = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    expect(JSON.stringify(me.body.user.serviceAccess)).toBe(JSON.stringify(want));
    const verify = await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200);
    expect(JSON.stringify(verify.body.services)).toBe(JSON.stringify(want));
    return want;
  };

  it('claim, disconnect, connect and an administrator change each show at once', async () => {
    const admin = await givenAdmin(t);
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    expect((await expectCurrent(u)).map((e) => [e.service, e.connected])).toEqual([['DROP', true]]);
    await t.http().post('/api/connect/disconnect').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    expect((await expectCurrent(u)).map((e) => e.connected)).toEqual([false]);
    await t.http().post('/api/connect/connect').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    expect((await expectCurrent(u)).map((e) => e.connected)).toEqual([true]);
    await givenEntitlement(t, admin, u, { service: 'VAULT', tier: 'pro', isPremium: true });
    await givenEntitlement(t, admin, u, { service: 'DROP', tier: 'premium', isPremium: true });
    const after = await expectCurrent(u);
    expect(after.map((e) => [e.service, e.tier, e.isPremium])).toEqual([
      ['DROP', 'premium', true],
      ['VAULT', 'pro', true],
    ]);
    const check = await t.http().get('/api/connect/check?service=VAULT').set(bearer(u.token)).expect(200);
    expect(check.body).toEqual({ connected: true, service: 'VAULT', tier: 'pro', isPremium: true });
  });

  it('rows written and removed by hand, several in one statement, show too', async () => {
    const u = await givenUser(t);
    const repo = t.dataSource.getRepository(Entitlement);
    const row = (service: string) =>
      Object.assign(new Entitlement(), {
        userId: u.id,
        service,
        tier: 'free',
        isPremium: false,
        connected: true,
        createdAt: new Date('2026-05-01T00:00:00.000Z'),
        updatedAt: new Date('2026-05-01T00:00:00.000Z'),
      });
    await repo.insert([row('DROP'), row('MAILS'), row('DB')]);
    expect((await expectCurrent(u)).map((e) => e.service)).toEqual(['DB', 'DROP', 'MAILS']);
    await repo.update({ userId: u.id }, { tier: 'team' });
    expect((await expectCurrent(u)).map((e) => e.tier)).toEqual(['team', 'team', 'team']);
    await repo.delete({ userId: u.id, service: 'DROP' });
    expect((await expectCurrent(u)).map((e) => e.service)).toEqual(['DB', 'MAILS']);
    await repo.delete({ userId: u.id });
    expect(await expectCurrent(u)).toEqual([]);
  });

  it('a user with entitlements can still delete the account (the cascade updates no row)', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DB' }).expect(200);
    await t.http().post('/api/auth/delete-account').set(bearer(u.token)).send({ password: u.password }).expect(200);
    expect(await t.dataSource.getRepository(Entitlement).countBy({ userId: u.id })).toBe(0);
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(401);
  });

  it('the column never leaves the database: not on the entity TypeORM reads, not in /me', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    const entity = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
    expect(Object.keys(entity)).not.toContain('entitlementsJson');
    const me = await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    expect(JSON.stringify(me.body)).not.toContain('entitlementsJson');
  });

  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('PostgreSQL: two transactions adding entitlements to one user at once both show (no lost update)', async () => {
    const u = await givenUser(t);
    const insert = (service: string) =>
      `INSERT INTO service_entitlements (id, user_id, service, tier, is_premium, connected, created_at, updated_at) ` +
      `VALUES (gen_random_uuid(), '${u.id}', '${service}', 'free', false, true, now(), now())`;
    const first = t.dataSource.createQueryRunner();
    const second = t.dataSource.createQueryRunner();
    try {
      await first.startTransaction();
      await second.startTransaction();
      await first.query(insert('DROP'));
      // The second insert's trigger waits for the first transaction's lock on the user row...
      let secondDone = false;
      const pending = second.query(insert('MAILS')).then(() => (secondDone = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(secondDone).toBe(false);
      // ...and, once it commits, recomputes from what is committed by then: both rows.
      await first.commitTransaction();
      await pending;
      await second.commitTransaction();
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      if (second.isTransactionActive) await second.rollbackTransaction();
      await first.release();
      await second.release();
    }
    expect((await expectCurrent(u)).map((e) => e.service).sort()).toEqual(['DROP', 'MAILS']);
  });

  it('many writers of one user at once: every request succeeds and the column ends equal to the rows', async () => {
    const admin = await givenAdmin(t);
    const u = await givenUser(t);
    const services = ['DROP', 'MAILS', 'VAULT', 'DB'] as const;
    const writes = services.flatMap((service, i) => [
      t.http().post('/api/services').set(bearer(u.token)).send({ service }),
      t.http().patch(`/api/admin/users/${u.id}`).set(bearer(admin.token)).send({ service, tier: `tier-${i}`, isPremium: i % 2 === 0 }),
      t.http().post('/api/connect/disconnect').set(bearer(u.token)).send({ service }),
    ]);
    const statuses = (await Promise.all(writes.map((w) => Promise.resolve(w)))).map((r) => r.status);
    // a disconnect that ran before any entitlement existed answers 404; nothing answers 5xx
    expect(statuses.every((status) => status === 200 || status === 404)).toBe(true);
    const rows = await expectCurrent(u);
    expect(rows.map((e) => e.service).sort()).toEqual([...services].sort());
    expect(rows.map((e) => [e.service, e.tier]).sort()).toEqual(services.map((service, i) => [service, `tier-${i}`]).sort());
  });

  /**
   * Runs `request` while another transaction holds the user's row (as lockUser does) and then
   * changes the user's DROP entitlement. A request that changed the entitlement before locking
   * its user would hold it while its trigger waits for the user: PostgreSQL would find a
   * deadlock and abort one of the two.
   */
  const againstUserThenEntitlement = async (u: GivenUser, request: () => PromiseLike<Response>): Promise<Response> => {
    const other = t.dataSource.createQueryRunner();
    try {
      await other.startTransaction();
      await other.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [u.id]);
      const pending = Promise.resolve(request());
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query(`UPDATE service_entitlements SET updated_at = now() WHERE user_id = $1 AND service = 'DROP'`, [u.id]);
      await other.commitTransaction();
      return await pending;
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
    }
  };

  onPostgres('PostgreSQL: disconnect locks the user before the entitlement (no deadlock with a writer that does)', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    const res = await againstUserThenEntitlement(u, () => t.http().post('/api/connect/disconnect').set(bearer(u.token)).send({ service: 'DROP' }));
    expect(res.status).toBe(200);
    expect((await expectCurrent(u)).map((e) => e.connected)).toEqual([false]);
  });

  onPostgres('PostgreSQL: a subscription webhook locks the user before the entitlement (no deadlock either)', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/services').set(bearer(u.token)).send({ service: 'DROP' }).expect(200);
    const event = subscriptionEvent('subscription.created', { id: `sub_${u.id}`, userId: u.id, plan: 'premium' });
    const res = await againstUserThenEntitlement(u, () => deliverWebhook(t, { secret: DROP_SECRET, event }));
    expect(res.status).toBe(200);
    expect((await expectCurrent(u)).map((e) => [e.tier, e.isPremium])).toEqual([['premium', true]]);
  });
});
