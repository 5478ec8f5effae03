import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { SERVICES } from '../src/common/services';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import { auditEvents, givenAdmin, givenEntitlement } from './support/admin';
import { bearer, givenUser, type GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/** The entitlement JSON of the contract, and nothing else (no Polar ids). */
const ENTITLEMENT_KEYS = [
  'accessFlags',
  'connected',
  'createdAt',
  'customApiKeyLimit',
  'customStorageLimit',
  'id',
  'isPremium',
  'metadata',
  'service',
  'tier',
  'updatedAt',
  'userId',
];

describe('ConnectModule: entitlements, connect/disconnect (seed 000), custom domains', () => {
  let t: TestApp;
  let admin: GivenUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await givenAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const claim = (u: GivenUser, body: object) => t.http().post('/api/services').set(bearer(u.token)).send(body);
  const connect = (u: GivenUser, body: object) => t.http().post('/api/connect/connect').set(bearer(u.token)).send(body);
  const disconnect = (u: GivenUser, body: object) => t.http().post('/api/connect/disconnect').set(bearer(u.token)).send(body);
  const check = (u: GivenUser, query: string) => t.http().get(`/api/connect/check${query}`).set(bearer(u.token));
  const entitlementRows = (userId: string) => t.dataSource.getRepository(Entitlement).find({ where: { userId } });

  it('builds the invalid-service message from the service list', () => {
    expect(SERVICES).toEqual(['DROP', 'MAILS', 'VAULT', 'DB']);
    expect(Messages.invalidService).toBe('Invalid service. Must be DROP, MAILS, VAULT, or DB');
  });

  describe('POST /api/services (free-tier claim)', () => {
    it('creates a free entitlement, answers 200 {entitlement} and audits SERVICE_ACCESS_GRANT with the user as actor', async () => {
      const u = await givenUser(t);
      const res = await claim(u, { service: 'DROP' }).expect(200);
      const e = res.body.entitlement;
      expect(Object.keys(res.body)).toEqual(['entitlement']);
      expect(Object.keys(e).sort()).toEqual(ENTITLEMENT_KEYS);
      expect(e).toMatchObject({
        userId: u.id,
        service: 'DROP',
        tier: 'free',
        isPremium: false,
        connected: true,
        accessFlags: {},
        metadata: {},
        customStorageLimit: null,
        customApiKeyLimit: null,
      });
      const events = await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT');
      expect(events).toHaveLength(1);
      expect(events[0].actorId).toBe(u.id);
      expect(events[0].data).toEqual({ service: 'DROP', tier: 'free' });
    });

    it('returns the existing entitlement on a second claim, unchanged and with no new event', async () => {
      const u = await givenUser(t);
      const first = await claim(u, { service: 'VAULT' }).expect(200);
      t.clock.advance(5_000);
      const second = await claim(u, { service: 'VAULT' }).expect(200);
      expect(second.body).toEqual(first.body);
      expect(await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT')).toHaveLength(1);
    });

    it('returns an existing paid entitlement as it is (a claim never downgrades)', async () => {
      const u = await givenUser(t);
      await givenEntitlement(t, admin, u, { service: 'DB', tier: 'premium', isPremium: true });
      const res = await claim(u, { service: 'DB' }).expect(200);
      expect(res.body.entitlement).toMatchObject({ tier: 'premium', isPremium: true });
    });

    describe('flaw 6: a user cannot grant itself a tier', () => {
      const escalations: Record<string, unknown>[] = [
        { tier: 'enterprise' },
        { isPremium: true },
        { customStorageLimit: 1_000_000 },
        { customApiKeyLimit: 1000 },
        { accessFlags: { admin: true } },
        { metadata: { plan: 'enterprise' } },
        { polarSubscriptionId: 'sub_123' },
        { polarSubscriptionStatus: 'active' },
        { polarCustomerId: 'cus_123' },
        { connected: false },
        { userId: '00000000-0000-4000-8000-000000000000' },
      ];

      it.each(escalations.map((extra) => [Object.keys(extra)[0], extra]))(
        'answers 400 for %s and creates nothing',
        async (field, extra) => {
          const u = await givenUser(t);
          const res = await claim(u, { service: 'DROP', ...extra }).expect(400);
          expect(res.body.error).toBe(`property ${field} should not exist`);
          expect(await entitlementRows(u.id)).toEqual([]);
          expect(await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT')).toEqual([]);
        },
      );

      it('leaves an existing free entitlement on the free tier whatever is sent', async () => {
        const u = await givenUser(t);
        const before = await claim(u, { service: 'DROP' }).expect(200);
        for (const extra of escalations) await claim(u, { service: 'DROP', ...extra }).expect(400);
        await claim(u, { service: 'DROP', tier: 'enterprise', isPremium: true, customStorageLimit: 1e9 }).expect(400);
        const after = await t.http().get('/api/services?service=DROP').set(bearer(u.token)).expect(200);
        expect(after.body.entitlements).toEqual([before.body.entitlement]);
        const [row] = await entitlementRows(u.id);
        expect(row).toMatchObject({ tier: 'free', isPremium: false, customStorageLimit: null, polarSubscriptionId: null });
        // and the custom-domain feature (enterprise only) stays closed
        await t.http().post('/api/user/custom-domain').set(bearer(u.token)).send({ domain: 'escalated.example.com' }).expect(403);
      });
    });

    it('answers 400 for an unknown, missing or non-string service', async () => {
      const u = await givenUser(t);
      expect((await claim(u, { service: 'NOPE' }).expect(400)).body.error).toBe(Messages.invalidService);
      expect((await claim(u, { service: 'drop' }).expect(400)).body.error).toBe(Messages.invalidService);
      expect((await claim(u, { service: 42 }).expect(400)).body.error).toBe(Messages.invalidService);
      expect((await claim(u, {}).expect(400)).body.error).toBe(Messages.serviceRequired);
      expect(await entitlementRows(u.id)).toEqual([]);
    });

    it('never answers 500 to concurrent claims of one service: one row, one event, the same answer', async () => {
      const u = await givenUser(t);
      const results = await Promise.all(Array.from({ length: 6 }, () => claim(u, { service: 'MAILS' })));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(new Set(results.map((r) => r.body.entitlement.id)).size).toBe(1);
      expect(await entitlementRows(u.id)).toHaveLength(1);
      expect(await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT')).toHaveLength(1);
    });
  });

  describe('GET /api/services', () => {
    it("lists the caller's own entitlements, optionally for one service", async () => {
      const u = await givenUser(t);
      const other = await givenUser(t);
      await claim(u, { service: 'DROP' }).expect(200);
      await claim(u, { service: 'DB' }).expect(200);
      await claim(other, { service: 'DROP' }).expect(200);
      const all = await t.http().get('/api/services').set(bearer(u.token)).expect(200);
      expect(Object.keys(all.body)).toEqual(['entitlements']);
      expect(all.body.entitlements.map((e: { service: string }) => e.service).sort()).toEqual(['DB', 'DROP']);
      expect(all.body.entitlements.every((e: { userId: string }) => e.userId === u.id)).toBe(true);
      const one = await t.http().get('/api/services?service=DB').set(bearer(u.token)).expect(200);
      expect(one.body.entitlements.map((e: { service: string }) => e.service)).toEqual(['DB']);
      const none = await t.http().get('/api/services?service=VAULT').set(bearer(u.token)).expect(200);
      expect(none.body).toEqual({ entitlements: [] });
    });

    it('answers 400 for an unknown service', async () => {
      const u = await givenUser(t);
      const res = await t.http().get('/api/services?service=SPACESHIP').set(bearer(u.token)).expect(400);
      expect(res.body.error).toBe(Messages.invalidService);
    });

    it('needs a token', async () => {
      const res = await t.http().get('/api/services').expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    });
  });

  describe('POST /api/connect/disconnect (seed 000)', () => {
    it('answers 404 "Service entitlement not found. Please ensure you have access to this service." without an entitlement', async () => {
      const u = await givenUser(t);
      const res = await disconnect(u, { service: 'DROP' }).expect(404);
      expect(res.body).toEqual({ error: 'Service entitlement not found. Please ensure you have access to this service.' });
      expect(await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_DISCONNECT')).toEqual([]);
    });

    it('disconnects: {connected:false, service, tier, isPremium, message}, keeps the entitlement, audits {service}', async () => {
      const u = await givenUser(t);
      await givenEntitlement(t, admin, u, { service: 'DROP', tier: 'premium', isPremium: true });
      const res = await disconnect(u, { service: 'DROP' }).expect(200);
      expect(res.body).toEqual({
        connected: false,
        service: 'DROP',
        tier: 'premium',
        isPremium: true,
        message: 'Successfully disconnected from service',
      });
      const [row] = await entitlementRows(u.id);
      expect(row).toMatchObject({ service: 'DROP', connected: false, tier: 'premium' });
      const events = await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_DISCONNECT');
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({ service: 'DROP' });
      expect(events[0].actorId).toBe(u.id);
    });

    it('answers "Already disconnected from this service" the second time and writes no event', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'DROP' }).expect(200);
      await disconnect(u, { service: 'DROP' }).expect(200);
      const again = await disconnect(u, { service: 'DROP' }).expect(200);
      expect(again.body).toEqual({ connected: false, service: 'DROP', message: 'Already disconnected from this service' });
      expect(await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_DISCONNECT')).toHaveLength(1);
    });

    it('lets exactly one of two concurrent disconnects change the flag and audit it', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'VAULT' }).expect(200);
      const [a, b] = await Promise.all([disconnect(u, { service: 'VAULT' }), disconnect(u, { service: 'VAULT' })]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.message, b.body.message].sort()).toEqual([Messages.alreadyDisconnected, Messages.disconnectedOk].sort());
      expect(await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_DISCONNECT')).toHaveLength(1);
    });

    it('answers 400 for a bad body', async () => {
      const u = await givenUser(t);
      expect((await disconnect(u, { service: 'NOPE' }).expect(400)).body.error).toBe(Messages.invalidService);
      expect((await disconnect(u, {}).expect(400)).body.error).toBe(Messages.serviceRequired);
      expect((await disconnect(u, { service: 'DROP', force: true }).expect(400)).body.error).toBe('property force should not exist');
    });

    it('needs a token', async () => {
      const res = await t.http().post('/api/connect/disconnect').send({ service: 'DROP' }).expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    });
  });

  describe('POST /api/connect/connect', () => {
    it('answers 404 without an entitlement', async () => {
      const u = await givenUser(t);
      const res = await connect(u, { service: 'MAILS' }).expect(404);
      expect(res.body).toEqual({ error: Messages.entitlementNotFound });
    });

    it('answers "Already connected to this service" for a connected entitlement and writes no event', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'MAILS' }).expect(200);
      const res = await connect(u, { service: 'MAILS' }).expect(200);
      expect(res.body).toEqual({ connected: true, service: 'MAILS', message: Messages.alreadyConnected });
      expect(await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_CONNECT')).toEqual([]);
    });

    it('reconnects a disconnected entitlement and audits SERVICE_ENTITLEMENT_CONNECT {service}', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'MAILS' }).expect(200);
      await disconnect(u, { service: 'MAILS' }).expect(200);
      const res = await connect(u, { service: 'MAILS' }).expect(200);
      expect(res.body).toEqual({ connected: true, service: 'MAILS', tier: 'free', isPremium: false, message: 'Successfully connected to service' });
      const events = await auditEvents(t, u.id, 'SERVICE_ENTITLEMENT_CONNECT');
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({ service: 'MAILS' });
      const [row] = await entitlementRows(u.id);
      expect(row.connected).toBe(true);
    });

    it('answers 400 for an unknown service', async () => {
      const u = await givenUser(t);
      expect((await connect(u, { service: 'FTP' }).expect(400)).body.error).toBe(Messages.invalidService);
    });
  });

  describe('GET /api/connect/check', () => {
    it('answers {connected, service, tier, isPremium} for an entitlement', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'DB' }).expect(200);
      expect((await check(u, '?service=DB').expect(200)).body).toEqual({ connected: true, service: 'DB', tier: 'free', isPremium: false });
      await disconnect(u, { service: 'DB' }).expect(200);
      expect((await check(u, '?service=DB').expect(200)).body).toEqual({ connected: false, service: 'DB', tier: 'free', isPremium: false });
    });

    it('answers {connected:false, service, message:"No entitlement found for this service"} without one', async () => {
      const u = await givenUser(t);
      const res = await check(u, '?service=VAULT').expect(200);
      expect(res.body).toEqual({ connected: false, service: 'VAULT', message: 'No entitlement found for this service' });
    });

    it('answers 400 "Service parameter is required" without a service', async () => {
      const u = await givenUser(t);
      expect((await check(u, '').expect(400)).body.error).toBe('Service parameter is required');
      expect((await check(u, '?service=').expect(400)).body.error).toBe('Service parameter is required');
    });

    it('answers 400 "Invalid service. Must be DROP, MAILS, VAULT, or DB" for an unknown one', async () => {
      const u = await givenUser(t);
      expect((await check(u, '?service=SMTP').expect(400)).body.error).toBe('Invalid service. Must be DROP, MAILS, VAULT, or DB');
      expect((await check(u, '?service=DROP&service=DB').expect(400)).body.error).toBe(Messages.invalidService);
    });
  });

  describe('custom domains (DROP enterprise)', () => {
    const getDomain = (u: GivenUser) => t.http().get('/api/user/custom-domain').set(bearer(u.token));
    const setDomain = (u: GivenUser, body: object) => t.http().post('/api/user/custom-domain').set(bearer(u.token)).send(body);
    const removeDomain = (u: GivenUser) => t.http().delete('/api/user/custom-domain').set(bearer(u.token));
    const enterprise = async () => {
      const u = await givenUser(t);
      await givenEntitlement(t, admin, u, { service: 'DROP', tier: 'enterprise', isPremium: true });
      return u;
    };
    const holders = (domain: string) => t.dataSource.getRepository(User).find({ where: { customDomain: domain } });

    it('answers 403 "Enterprise plan required for custom domains" below the DROP enterprise tier', async () => {
      const none = await givenUser(t);
      const free = await givenUser(t);
      await claim(free, { service: 'DROP' }).expect(200);
      const premium = await givenUser(t);
      await givenEntitlement(t, admin, premium, { service: 'DROP', tier: 'premium', isPremium: true });
      const otherService = await givenUser(t);
      await givenEntitlement(t, admin, otherService, { service: 'MAILS', tier: 'enterprise', isPremium: true });
      for (const u of [none, free, premium, otherService]) {
        expect((await getDomain(u).expect(403)).body).toEqual({ error: 'Enterprise plan required for custom domains' });
        expect((await setDomain(u, { domain: 'files.example.com' }).expect(403)).body).toEqual({ error: Messages.enterpriseRequired });
        expect((await removeDomain(u).expect(403)).body).toEqual({ error: Messages.enterpriseRequired });
      }
      expect(await holders('files.example.com')).toEqual([]);
    });

    it('GET answers {customDomain:null, customDomainVerified:false, hasCustomDomain:false} before one is set', async () => {
      const u = await enterprise();
      expect((await getDomain(u).expect(200)).body).toEqual({ customDomain: null, customDomainVerified: false, hasCustomDomain: false });
    });

    it('POST connects a host name, lower-cased, and audits USER_UPDATE {field:"customDomain", value}', async () => {
      const u = await enterprise();
      const res = await setDomain(u, { domain: '  Files.Example-Corp.COM ' }).expect(200);
      expect(res.body).toEqual({
        success: true,
        domain: 'files.example-corp.com',
        message: 'Domain connected successfully. Please configure your DNS settings.',
      });
      expect((await getDomain(u).expect(200)).body).toEqual({
        customDomain: 'files.example-corp.com',
        customDomainVerified: false,
        hasCustomDomain: true,
      });
      const events = await auditEvents(t, u.id, 'USER_UPDATE');
      expect(events.map((e) => e.data)).toEqual([{ field: 'customDomain', value: 'files.example-corp.com' }]);
    });

    it('accepts a 253-character host name and refuses 254', async () => {
      const u = await enterprise();
      const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
      expect(longest).toHaveLength(253);
      await setDomain(u, { domain: longest }).expect(200);
      const res = await setDomain(u, { domain: `e${longest}` }).expect(400);
      expect(res.body.error).toBe(Messages.invalidDomain);
    });

    it.each([
      ['empty', ''],
      ['a single label', 'localhost'],
      ['spaces inside', 'my domain.com'],
      ['a scheme', 'https://files.example.com'],
      ['a path', 'files.example.com/x'],
      ['a port', 'files.example.com:8080'],
      ['a leading hyphen', '-files.example.com'],
      ['a trailing hyphen', 'files-.example.com'],
      ['an empty label', 'files..example.com'],
      ['a trailing dot', 'files.example.com.'],
      ['an IPv4 address', '192.168.1.10'],
      ['a 64-character label', `${'a'.repeat(64)}.example.com`],
      ['an underscore', 'my_files.example.com'],
      ['a wildcard', '*.example.com'],
      ['non-ASCII', 'fïles.example.com'],
      ['a number', 12345],
      ['null', null],
      ['missing', undefined],
    ])('answers 400 "Invalid domain format" for %s', async (_name, domain) => {
      const u = await enterprise();
      const res = await setDomain(u, domain === undefined ? {} : { domain }).expect(400);
      expect(res.body.error).toBe('Invalid domain format');
      expect((await getDomain(u).expect(200)).body.customDomain).toBeNull();
    });

    it('answers 409 "Domain is already in use" for a domain another user holds, in any case', async () => {
      const a = await enterprise();
      const b = await enterprise();
      await setDomain(a, { domain: 'shared.example.com' }).expect(200);
      const res = await setDomain(b, { domain: 'SHARED.Example.com' }).expect(409);
      expect(res.body).toEqual({ error: 'Domain is already in use' });
      expect((await getDomain(b).expect(200)).body.customDomain).toBeNull();
      expect(await auditEvents(t, b.id, 'USER_UPDATE')).toEqual([]);
      // the holder may send it again
      await setDomain(a, { domain: 'shared.example.com' }).expect(200);
    });

    it('lets exactly one of two concurrent claims of a domain win: one 200, one 409', async () => {
      const a = await enterprise();
      const b = await enterprise();
      const [ra, rb] = await Promise.all([setDomain(a, { domain: 'race.example.com' }), setDomain(b, { domain: 'Race.Example.com' })]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect(loser.body).toEqual({ error: Messages.domainInUse });
      const rows = await holders('race.example.com');
      expect(rows).toHaveLength(1);
      expect([a.id, b.id]).toContain(rows[0].id);
    });

    it('DELETE disconnects the domain, audits it, and frees it for others', async () => {
      const a = await enterprise();
      const b = await enterprise();
      await setDomain(a, { domain: 'moving.example.com' }).expect(200);
      const res = await removeDomain(a).expect(200);
      expect(res.body).toEqual({ success: true, message: 'Custom domain disconnected successfully' });
      expect((await getDomain(a).expect(200)).body).toEqual({ customDomain: null, customDomainVerified: false, hasCustomDomain: false });
      const events = await auditEvents(t, a.id, 'USER_UPDATE');
      expect(events.map((e) => e.data)).toEqual([
        { field: 'customDomain', value: 'moving.example.com' },
        { field: 'customDomain', value: null },
      ]);
      await setDomain(b, { domain: 'moving.example.com' }).expect(200);
      // nothing left to remove: still 200, no event
      await removeDomain(a).expect(200);
      expect(await auditEvents(t, a.id, 'USER_UPDATE')).toHaveLength(2);
    });

    it('refuses unknown fields (a client cannot mark its domain verified)', async () => {
      const u = await enterprise();
      const res = await setDomain(u, { domain: 'verified.example.com', customDomainVerified: true }).expect(400);
      expect(res.body.error).toBe('property customDomainVerified should not exist');
    });
  });

  describe('access between two users', () => {
    it("one user can never read or change another's entitlements or custom domain", async () => {
      const alice = await givenUser(t);
      const bob = await givenUser(t);
      await givenEntitlement(t, admin, alice, { service: 'DROP', tier: 'enterprise', isPremium: true });
      await t.http().post('/api/user/custom-domain').set(bearer(alice.token)).send({ domain: 'alice.example.com' }).expect(200);

      // reads show only the caller's own
      expect((await t.http().get('/api/services').set(bearer(bob.token)).expect(200)).body).toEqual({ entitlements: [] });
      expect((await check(bob, '?service=DROP').expect(200)).body).toEqual({ connected: false, service: 'DROP', message: Messages.noEntitlement });
      await t.http().get('/api/user/custom-domain').set(bearer(bob.token)).expect(403);

      // writes act only on the caller's own rows
      await disconnect(bob, { service: 'DROP' }).expect(404);
      await t.http().delete('/api/user/custom-domain').set(bearer(bob.token)).expect(403);
      await claim(bob, { service: 'DROP', userId: alice.id }).expect(400);
      await t.http().patch(`/api/admin/users/${alice.id}`).set(bearer(bob.token)).send({ service: 'DROP', tier: 'free' }).expect(403);
      const bobsClaim = await claim(bob, { service: 'DROP' }).expect(200);
      expect(bobsClaim.body.entitlement).toMatchObject({ userId: bob.id, tier: 'free' });

      const alices = await t.http().get('/api/services').set(bearer(alice.token)).expect(200);
      expect(alices.body.entitlements).toEqual([expect.objectContaining({ userId: alice.id, tier: 'enterprise', connected: true })]);
      expect((await t.http().get('/api/user/custom-domain').set(bearer(alice.token)).expect(200)).body.customDomain).toBe('alice.example.com');
      const bobsAudit = await t.http().get('/api/audit').set(bearer(bob.token)).expect(200);
      expect(bobsAudit.body.logs.every((l: { data: { value?: string } }) => l.data.value !== 'alice.example.com')).toBe(true);
    });
  });

  describe('restricted accounts', () => {
    it('answers 403 on every connect route for a banned account, and again 200 once the ban is lifted', async () => {
      const u = await givenUser(t);
      await claim(u, { service: 'DROP' }).expect(200);
      await t.http().post(`/api/admin/users/${u.id}/ban`).set(bearer(admin.token)).send({ reason: 'abuse' }).expect(200);
      for (const res of [
        await t.http().get('/api/services').set(bearer(u.token)),
        await claim(u, { service: 'DB' }),
        await disconnect(u, { service: 'DROP' }),
        await connect(u, { service: 'DROP' }),
        await check(u, '?service=DROP'),
        await t.http().get('/api/user/custom-domain').set(bearer(u.token)),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ error: Messages.accountBanned });
      }
      expect(await entitlementRows(u.id)).toEqual([expect.objectContaining({ service: 'DROP', connected: true })]);
      await t.http().delete(`/api/admin/users/${u.id}/ban`).set(bearer(admin.token)).expect(200);
      await check(u, '?service=DROP').expect(200);
    });
  });
});
