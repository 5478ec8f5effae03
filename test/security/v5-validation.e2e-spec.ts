import { createHmac } from 'node:crypto';
import { User } from '../../src/auth/entities/user.entity';
import { Entitlement } from '../../src/connect/entities/entitlement.entity';
import { givenAdmin } from '../support/admin';
import { bearer, givenUser, uniqueEmail, type GivenUser } from '../support/given';
import { prototypeProblems, prototypeSnapshot, userState } from '../support/integrity';
import { bodySchema, exampleBody, openApiDoc, OpenApiDoc, queryParams, routeTraits, RouteTraits } from '../support/route-meta';
import { listRoutes } from '../support/routes';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * OWASP ASVS V5 (validation): mass assignment (V5.1.2) on every write route, unknown query
 * parameters, prototype-pollution keys and type confusion. Every write route is taken from
 * the app, so a route added later is covered.
 */

/** Fields a client must never set through a request: account flags, roles, payment ids, keys. */
const PRIVILEGED: Record<string, unknown> = {
  role: 'admin',
  banned: false,
  disabled: false,
  bannedBy: null,
  tier: 'enterprise',
  isPremium: true,
  connected: true,
  polarSubscriptionId: 'sub_attacker',
  polarCustomerId: 'cus_attacker',
  twoFactorEnabled: false,
  twoFactorSecret: 'JBSWY3DPEHPK3PXP',
  lastTotpStep: 0,
  passwordHash: '$2b$04$abcdefghijklmnopqrstuu',
  customDomainVerified: true,
  id: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000001',
  createdAt: '2000-01-01T00:00:00.000Z',
};

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DROP_SECRET = 'v5-drop-webhook-secret-0123456789abcdef';

describe('ASVS V5 validation', () => {
  let t: TestApp;
  let doc: OpenApiDoc;
  let routes: RouteTraits[];
  let admin: GivenUser;

  beforeAll(async () => {
    t = await createTestApp({ env: { DROP_POLAR_SECRET: DROP_SECRET } });
    doc = await openApiDoc(t);
    routes = listRoutes(t).map((r) => routeTraits(t, r));
    admin = await givenAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const call = (r: RouteTraits, url: string) => t.http()[r.method.toLowerCase() as 'post'](url);
  /** A plausible body: the documented examples, with this user's real credentials where a route asks for them. */
  const baseBody = (r: RouteTraits, u: GivenUser): Record<string, unknown> => {
    const body = exampleBody(doc, r);
    if ('password' in body) body.password = u.password;
    if ('currentPassword' in body) body.currentPassword = u.password;
    if ('email' in body) body.email = r.path.endsWith('/register') ? uniqueEmail('mass') : u.email;
    return body;
  };
  /** Who calls a route, and whose state must stay as it was. */
  const actors = async (r: RouteTraits) => {
    const caller = r.adminOnly ? admin : await givenUser(t);
    const target = r.adminOnly ? await givenUser(t) : caller;
    const url = r.path.replace(/:(\w+)/g, (_m, name: string) => (name === 'service' ? 'drop' : target.id));
    return { caller, target, url };
  };

  it('V5.1.2: every write route with a JSON body refuses each privileged field with 400 naming it, and changes nothing', async () => {
    const writeRoutes = routes.filter((r) => WRITE.has(r.method) && r.jsonBody && !r.webhook);
    expect(writeRoutes.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const r of writeRoutes) {
      const accepted = new Set(Object.keys(bodySchema(doc, r)?.properties ?? {}));
      const extra = Object.fromEntries(Object.entries(PRIVILEGED).filter(([k]) => !accepted.has(k)));
      const { caller, target, url } = await actors(r);
      const before = [await userState(t, caller.id), await userState(t, target.id)];
      const res = await call(r, url)
        .set(bearer(caller.token))
        .send({ ...baseBody(r, caller), ...extra });
      const named = new Set(((res.body.details ?? []) as { field: string; message: string }[]).map((d) => d.message));
      const unnamed = Object.keys(extra).filter((k) => !named.has(`property ${k} should not exist`));
      if (res.status !== 400 || typeof res.body.error !== 'string') failures.push(`${r.key} -> ${res.status} ${JSON.stringify(res.body)}`);
      else if (unnamed.length) failures.push(`${r.key} did not name ${unnamed.join(', ')}`);
      const after = [await userState(t, caller.id), await userState(t, target.id)];
      if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${r.key} changed stored state`);
    }
    expect(failures).toEqual([]);
  });

  it('V5.1.2: write routes without a JSON body ignore privileged fields sent anyway (body, query or multipart)', async () => {
    const bodyless = routes.filter((r) => WRITE.has(r.method) && !r.jsonBody && !r.webhook);
    const failures: string[] = [];
    // what the fields would change if they were assigned (role excepted on the routes whose job it is)
    const watched = async (userId: string, ownsRole: boolean) => {
      const u = await t.dataSource.getRepository(User).findOneByOrFail({ id: userId });
      const ents = await t.dataSource.getRepository(Entitlement).findBy({ userId });
      return {
        ...(ownsRole ? {} : { role: u.role }),
        banned: u.banned,
        disabled: u.disabled,
        twoFactorEnabled: u.twoFactorEnabled,
        polarCustomerId: u.polarCustomerId,
        customDomainVerified: u.customDomainVerified,
        email: u.email,
        id: u.id,
        entitlements: ents.map((e) => [e.service, e.tier, e.isPremium, e.polarSubscriptionId]),
      };
    };
    for (const r of bodyless) {
      const { caller, target, url } = await actors(r);
      await t.http().post('/api/services').set(bearer(target.token)).send({ service: 'DROP' }).expect(200);
      const ownsRole = r.path.endsWith('/role');
      const before = await watched(target.id, ownsRole);
      const fields = Object.fromEntries(Object.entries({ ...PRIVILEGED, banned: true, disabled: true, twoFactorEnabled: true }).filter(([k]) => !(ownsRole && k === 'role')));
      const query = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
      let res;
      if (r.upload) {
        let req = call(r, url).set(bearer(caller.token)).query(query);
        for (const [k, v] of Object.entries(fields)) req = req.field(k, String(v));
        res = await req;
      } else {
        res = await call(r, url).set(bearer(caller.token)).query(r.path === '/api/auth/sessions' ? {} : query).send(fields);
      }
      if (res.status >= 500) failures.push(`${r.key} -> ${res.status}`);
      const after = await watched(target.id, ownsRole);
      if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${r.key} assigned ${JSON.stringify(after)} (was ${JSON.stringify(before)})`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses unknown query parameters with 400 on every route that documents a query', async () => {
    const failures: string[] = [];
    const withQuery = routes.filter((r) => queryParams(doc, r).length && !r.isPublic);
    expect(withQuery.length).toBeGreaterThan(2);
    for (const r of withQuery) {
      const { caller, url } = await actors(r);
      const res = await call(r, url).set(bearer(caller.token)).query({ userId: caller.id, role: 'admin' });
      if (res.status !== 400 || !String(res.body.error).includes('should not exist')) failures.push(`${r.key} -> ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(failures).toEqual([]);
  });

  it('V5.1.4: prototype-pollution keys in a JSON body are refused and pollute nothing, on every JSON route', async () => {
    const before = prototypeSnapshot();
    const failures: string[] = [];
    const payloads = [
      '{"__proto__":{"polluted":"yes","role":"admin","isPremium":true}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"prototype":{"polluted":"yes"}}',
      '{"__proto__":{"__proto__":{"polluted":"yes"}},"a":{"__proto__":{"polluted":"yes"}}}',
    ];
    for (const r of routes.filter((x) => x.jsonBody)) {
      const { caller, target, url } = await actors(r);
      const state = await userState(t, target.id);
      for (const payload of payloads) {
        // the privileged fields are smuggled next to a plausible body
        const base = JSON.stringify(baseBody(r, caller));
        const body = base === '{}' ? payload : `${base.slice(0, -1)},${payload.slice(1)}`;
        const res = await call(r, url).set(bearer(caller.token)).set('Content-Type', 'application/json').send(body);
        if (res.status !== 400 || typeof res.body.error !== 'string') failures.push(`${r.key} ${payload} -> ${res.status} ${JSON.stringify(res.body)}`);
      }
      if (JSON.stringify(await userState(t, target.id)) !== JSON.stringify(state)) failures.push(`${r.key} changed stored state`);
    }
    // ... and in query strings
    const u = await givenUser(t);
    for (const query of ['__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes', 'limit=5&__proto__=x', 'prototype=x']) {
      const res = await t.http().get(`/api/audit?${query}`).set(bearer(u.token));
      if (res.status !== 400 || typeof res.body.error !== 'string') failures.push(`GET /api/audit?${query} -> ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(failures).toEqual([]);
    expect(prototypeProblems(before, ['polluted', 'role', 'isPremium'])).toEqual([]);
  });

  it('V5.1.4: a nested "constructor" key is a 400, not a crash (class-transformer threw a TypeError: 500)', async () => {
    const target = await givenUser(t);
    const res = await t
      .http()
      .patch(`/api/admin/users/${target.id}`)
      .set(bearer(admin.token))
      .set('Content-Type', 'application/json')
      .send('{"service":"DROP","metadata":{"constructor":{"a":1}}}')
      .expect(400);
    expect(res.body.error).toBe('property metadata.constructor should not exist');
  });

  it('V5.1.4: a signed webhook whose payload holds prototype keys is acknowledged or refused, never a 500 that Polar would retry for ever', async () => {
    const target = await givenUser(t);
    for (const [i, payload] of [
      `{"type":"subscription.uncanceled","data":{"x":1,"constructor":true}}`,
      `{"type":"subscription.created","data":{"id":"sub_1","status":"active","constructor":{"a":1},"metadata":{"userId":"${target.id}","__proto__":{"plan":"enterprise"}}}}`,
      `{"type":"customer.created","data":{"id":"cus_1","metadata":{"constructor":{"prototype":{}}}}}`,
    ].entries()) {
      const id = `msg_v5_${i}_${Date.now()}`;
      const ts = String(Math.floor(t.clock.nowMs() / 1000));
      const sig = createHmac('sha256', Buffer.from(DROP_SECRET, 'utf8')).update(`${id}.${ts}.${payload}`).digest('base64');
      const res = await t
        .http()
        .post('/api/webhooks/drop')
        .set({ 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` })
        .send(payload);
      expect([200, 400]).toContain(res.status);
    }
    const me = await t.http().get('/api/services').set(bearer(target.token)).expect(200);
    expect(me.body.entitlements.filter((e: { tier: string }) => e.tier === 'enterprise')).toEqual([]);
  });

  it('V5.1.3: wrong types are 400, never coerced: arrays, objects, numbers and booleans where strings belong', async () => {
    const u = await givenUser(t);
    for (const email of [[u.email], { $ne: null }, 1, true, null]) {
      const res = await t.http().post('/api/auth/login').send({ email, password: u.password }).expect(400);
      expect(typeof res.body.error).toBe('string');
    }
    for (const password of [[u.password], { $gt: '' }, 12345678, true]) {
      await t.http().post('/api/auth/login').send({ email: u.email, password }).expect(400);
    }
    for (const service of [['DROP'], { $in: ['DROP'] }, 'drop', 'DROP ', 'DROP\u0000']) {
      await t.http().post('/api/services').set(bearer(u.token)).send({ service }).expect(400);
    }
    await t.http().get('/api/connect/check').query('service=DROP&service=MAILS').set(bearer(u.token)).expect(400);
    await t.http().get('/api/connect/check').query('service[$ne]=x').set(bearer(u.token)).expect(400);
  });

  it('V5.3.4: SQL metacharacters are data, not code', async () => {
    const u = await givenUser(t);
    for (const email of [`${u.email}' OR '1'='1`, `' OR 1=1 --@example.com`, `a@example.com'; DROP TABLE users; --`]) {
      const res = await t.http().post('/api/auth/login').send({ email, password: "' OR '1'='1" });
      expect([400, 401]).toContain(res.status);
    }
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    const search = await t.http().get('/api/admin/users').query({ search: "%' OR '1'='1" }).set(bearer(admin.token)).expect(200);
    expect(search.body.users).toEqual([]);
  });
});
