import type { EntitlementDto } from '../src/connect/dto/entitlement.dto';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
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
