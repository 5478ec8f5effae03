import { Messages } from '../../src/common/messages';
import { givenAdmin } from '../support/admin';
import { bearer, givenUser, type GivenUser } from '../support/given';
import { userState } from '../support/integrity';
import { exampleBody, openApiDoc, OpenApiDoc, routeTraits, RouteTraits } from '../support/route-meta';
import { listRoutes } from '../support/routes';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * OWASP ASVS V4 (access control): a user reaches only its own data (V4.2.1, insecure direct
 * object references), never an administrator's function (V4.1.x), and sibling-service
 * routes only with the internal secret. Routes are enumerated from the app, so a route
 * added later is attacked too.
 */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const INTERNAL_SECRET = 'internal-secret-0123456789abcdef0123456789';
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sid: string };

describe('ASVS V4 access control', () => {
  let t: TestApp;
  let doc: OpenApiDoc;
  let routes: RouteTraits[];
  /** The attacker: an ordinary account with a valid token. */
  let a: GivenUser;
  /** The victim, with a session, an entitlement, an uploaded avatar and audit events. */
  let b: GivenUser;
  let bAvatar: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { INTERNAL_SECRET } });
    doc = await openApiDoc(t);
    routes = listRoutes(t).map((r) => routeTraits(t, r));
    a = await givenUser(t);
    b = await givenUser(t, { displayName: 'Victim B' });
    await t.http().post('/api/services').set(bearer(b.token)).send({ service: 'DROP' }).expect(200);
    bAvatar = (
      await t.http().post('/api/avatar').set(bearer(b.token)).attach('avatar', PNG_1X1, { filename: 'b.png', contentType: 'image/png' }).expect(200)
    ).body.avatar as string;
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const call = (r: RouteTraits, url: string) => t.http()[r.method.toLowerCase() as 'get'](url);
  const withVictim = (path: string) => path.replace(/:(\w+)/g, (_m, name: string) => (name === 'service' ? 'drop' : b.id));

  it('finds the routes that take an id (the contract’s admin, internal and avatar routes among them)', () => {
    const keys = routes.filter((r) => r.params.length).map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining(['GET /api/auth/user/:userId', 'GET /api/avatar/:userId']));
  });

  it('V4.2.1: every route that takes an id refuses the victim’s id with the attacker’s token, and the victim is unchanged', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.params.length && !x.webhook)) {
      const before = await userState(t, b.id);
      const req = call(r, withVictim(r.path)).set(bearer(a.token));
      const res = r.jsonBody ? await req.send(exampleBody(doc, r)) : await req;
      const expected = r.isInternal ? 401 : r.adminOnly ? 403 : 404;
      if (res.status !== expected) failures.push(`${r.key} -> ${res.status} ${JSON.stringify(res.body)} (expected ${expected})`);
      if (JSON.stringify(await userState(t, b.id)) !== JSON.stringify(before)) failures.push(`${r.key} changed the victim`);
      if (res.text.includes(b.email)) failures.push(`${r.key} revealed the victim's email`);
    }
    expect(failures).toEqual([]);
  });

  it('V4.2.1: a session id of another user is "Session not found", and that session lives on', async () => {
    const res = await t.http().delete('/api/auth/sessions').query({ id: decode(b.token).sid }).set(bearer(a.token)).expect(404);
    expect(res.body).toEqual({ error: Messages.sessionNotFound });
    await t.http().get('/api/auth/me').set(bearer(b.token)).expect(200);
  });

  it('V4.2.1: no route the attacker may read shows the victim’s data, even when the query names the victim', async () => {
    const failures: string[] = [];
    const readable = routes.filter((r) => r.method === 'GET' && !r.params.length && !r.isPublic && !r.adminOnly);
    expect(readable.length).toBeGreaterThan(3);
    for (const r of readable) {
      for (const query of [{}, { userId: b.id }, { id: b.id }, { user_id: b.id }, { email: b.email }]) {
        const res = await call(r, r.path).query(query).set(bearer(a.token));
        if (res.status >= 500) failures.push(`${r.key} ${JSON.stringify(query)} -> ${res.status}`);
        for (const secret of [b.id, b.email, decode(b.token).sid, bAvatar]) {
          if (res.text.includes(secret) || (res.body && Buffer.isBuffer(res.body) && res.body.equals(PNG_1X1))) {
            failures.push(`${r.key} ${JSON.stringify(query)} revealed the victim's data`);
            break;
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('V4.1.3: every administrator route answers 403 "Administrator role required" to an ordinary account, even on itself', async () => {
    const adminRoutes = routes.filter((r) => r.adminOnly);
    expect(adminRoutes.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const r of adminRoutes) {
      const before = await userState(t, a.id);
      const url = r.path.replace(/:(\w+)/g, a.id);
      const req = call(r, url).set(bearer(a.token));
      const res = r.jsonBody ? await req.send(exampleBody(doc, r)) : await req;
      if (res.status !== 403 || res.body.error !== Messages.adminRequired) failures.push(`${r.key} -> ${res.status} ${JSON.stringify(res.body)}`);
      if (JSON.stringify(await userState(t, a.id)) !== JSON.stringify(before)) failures.push(`${r.key} changed the caller`);
    }
    expect(failures).toEqual([]);
  });

  it('an administrator may do what the ordinary account was refused (the control for the two tests above)', async () => {
    const admin = await givenAdmin(t);
    const target = await givenUser(t);
    await t.http().patch(`/api/admin/users/${target.id}`).set(bearer(admin.token)).send({ service: 'DROP', tier: 'premium', isPremium: true }).expect(200);
    await t.http().get(`/api/auth/user/${target.id}`).set('X-Internal-Secret', INTERNAL_SECRET).expect(200);
  });

  it('sibling-service routes want the internal secret: a user token, a wrong secret or none is 401', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.isInternal)) {
      const url = withVictim(r.path);
      for (const [label, headers] of [
        ['user token', bearer(a.token)],
        ['wrong secret', { 'X-Internal-Secret': `${INTERNAL_SECRET}x` }],
        ['secret prefix', { 'X-Internal-Secret': INTERNAL_SECRET.slice(0, -1) }],
        ['none', {}],
      ] as const) {
        const res = await call(r, url).set(headers as Record<string, string>);
        if (res.status !== 401 || res.body.error !== Messages.unauthorized) failures.push(`${r.key} with ${label} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe('avatars', () => {
    it('the attacker’s own avatar route never serves the victim’s file', async () => {
      const res = await t.http().get('/api/avatar').set(bearer(a.token)).expect(404);
      expect(res.body).toEqual({ error: Messages.avatarNotFound });
    });

    it('refuses to point the attacker’s avatar at the victim’s stored file or outside the avatar directory (flaw 15)', async () => {
      for (const avatar of [bAvatar, `../${bAvatar}`, `${b.id}/../${bAvatar}`, '../../../../etc/passwd', 'file:///etc/passwd', 'http://169.254.169.254/']) {
        const res = await t.http().patch('/api/auth/me').set(bearer(a.token)).send({ avatar }).expect(400);
        expect(typeof res.body.error).toBe('string');
      }
      await t.http().get('/api/avatar').set(bearer(a.token)).expect(404);
      const victim = await t.http().get(`/api/avatar/${b.id}`).set('X-Internal-Secret', INTERNAL_SECRET).expect(200);
      expect(Buffer.compare(victim.body as Buffer, PNG_1X1)).toBe(0);
    });
  });

  describe('entitlements', () => {
    it('connect, disconnect and check act on the caller’s entitlement only', async () => {
      const before = await userState(t, b.id);
      for (const path of ['/api/connect/disconnect', '/api/connect/connect']) {
        const res = await t.http().post(path).set(bearer(a.token)).send({ service: 'DROP' }).expect(404);
        expect(res.body).toEqual({ error: Messages.entitlementNotFound });
      }
      const check = await t.http().get('/api/connect/check').query({ service: 'DROP' }).set(bearer(a.token)).expect(200);
      expect(check.body).toEqual({ connected: false, service: 'DROP', message: Messages.noEntitlement });
      expect(await userState(t, b.id)).toEqual(before);
    });

    it('a user cannot grant itself a tier or claim for someone else (flaw 6)', async () => {
      for (const extra of [{ tier: 'enterprise' }, { isPremium: true }, { userId: b.id }]) {
        await t.http().post('/api/services').set(bearer(a.token)).send({ service: 'VAULT', ...extra }).expect(400);
      }
      const mine = await t.http().post('/api/services').set(bearer(a.token)).send({ service: 'VAULT' }).expect(200);
      expect(mine.body.entitlement).toMatchObject({ userId: a.id, tier: 'free', isPremium: false });
    });
  });
});
