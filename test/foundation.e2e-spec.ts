import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { DataProtector } from '../src/common/crypto/data-protector';
import { Messages } from '../src/common/messages';
import { bearer, givenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

describe('Foundation: HTTP conventions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ALLOWED_ORIGINS: 'https://app.example.com,https://drop.example.com' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const onSqlite = process.env.DATABASE_URL?.startsWith('postgres') ? it.skip : it;
  onSqlite('SQLite: the connection holds its file, syncs NORMAL in WAL mode, with an 8 MB page cache', async () => {
    const pragma = async (name: string) => Object.values((await t.dataSource.query(`PRAGMA ${name}`))[0] as object)[0];
    expect(await pragma('locking_mode')).toBe('exclusive');
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1); // NORMAL
    expect(await pragma('cache_size')).toBe(-8000);
  });

  it('GET /api/health answers liveness without the database', async () => {
    const res = await t.http().get('/api/health').expect(200);
    expect(res.body).toEqual({ service: 'nullpass', version: expect.any(String), status: 'ok' });
  });

  it('GET /api/health/ready answers 200 when the database answers', async () => {
    const res = await t.http().get('/api/health/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
  });

  it('GET /api lists endpoints and where the docs are', async () => {
    const res = await t.http().get('/api').expect(200);
    expect(res.body.docs).toBe('/api/docs');
    expect(res.body.endpoints).toEqual(expect.arrayContaining(['POST /api/auth/login', 'GET /api/health']));
  });

  it('serves Swagger UI at /api/docs and OpenAPI 3 at /api/docs-json', async () => {
    const ui = await t.http().get('/api/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await t.http().get('/api/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.paths['/api/auth/login']).toBeDefined();
    expect(doc.body.components.securitySchemes.bearer).toBeDefined();
  });

  it('builds each request and response on Express\'s prototypes from the start (Express 5 then re-parents nothing)', async () => {
    const express = t.app.getHttpAdapter().getInstance() as { request: object; response: object };
    const server = t.app.getHttpServer() as Server;
    const seen: Array<[object | null, object | null]> = [];
    // Runs before Express's own request listener, so it sees the objects as node:http made them.
    const listener = (req: IncomingMessage, res: ServerResponse) => seen.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res)]);
    server.prependListener('request', listener);
    try {
      await t.http().get('/api/health').expect(200);
      await t.http().post('/api/auth/login').send({ email: 'nobody@example.com', password: 'long-enough-password' }).expect(401);
    } finally {
      server.removeListener('request', listener);
    }
    expect(seen).toHaveLength(2);
    for (const [req, res] of seen) {
      expect(req).toBe(express.request);
      expect(res).toBe(express.response);
    }
  });


  it('answers JSON as Express res.json() would: one Content-Type with charset, Content-Length in bytes, no body for HEAD', async () => {
    // Non-ASCII text: the length is counted in UTF-8 bytes, not in characters.
    const displayName = 'Zoë 漢字 🙂';
    const reg = await t.http().post('/api/auth/register').send({ email: `reply-${Date.now()}@example.com`, password: 'correct horse battery', displayName });
    expect(reg.status).toBe(201);
    expect(reg.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reg.body.user.displayName).toBe(displayName);
    expect(Number(reg.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(reg.body)));

    const me = await t.http().get('/api/auth/me').set(bearer(reg.body.token)).expect(200);
    expect(me.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(me.headers['content-length'])).toBe(Buffer.byteLength(me.text));
    expect(me.text).toBe(JSON.stringify(me.body));

    const head = await t.http().head('/api/auth/me').set(bearer(reg.body.token)).expect(200);
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.headers['content-length']).toBe(me.headers['content-length']);
    expect(head.text).toBeUndefined();

    // Errors go through the exception filter, in the same shape and type.
    const bad = await t.http().get('/api/auth/me').expect(401);
    expect(bad.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(bad.body).toEqual({ error: 'Unauthorized' });
  });
  describe('bad input is a 4xx JSON error, never a 500', () => {
    it('malformed JSON: 400', async () => {
      const res = await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"email": ').expect(400);
      expect(res.body).toEqual({ error: Messages.malformedJson });
    });

    it('unknown field: 400 naming it', async () => {
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ email: 'a@example.com', password: 'x', isAdmin: true })
        .expect(400);
      expect(res.body.error).toBe('property isAdmin should not exist');
      expect(res.body.details).toEqual([{ field: 'isAdmin', message: 'property isAdmin should not exist' }]);
    });

    it('unknown fields on a route that takes no body: 400 (logout ignores nothing silently)', async () => {
      const u = await givenUser(t);
      const res = await t.http().post('/api/auth/logout').set(bearer(u.token)).send({ everywhere: true }).expect(400);
      expect(res.body).toEqual({ error: 'property everywhere should not exist', details: [{ field: 'everywhere', message: 'property everywhere should not exist' }] });
      await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
      await t.http().post('/api/auth/logout').set(bearer(u.token)).expect(200);
    });

    it('wrong type: 400', async () => {
      const res = await t.http().post('/api/auth/login').send({ email: 'a@example.com', password: 12345678 }).expect(400);
      expect(res.body.error).toBe('password must be a string');
    });

    it('missing body: 400 with field errors', async () => {
      const res = await t.http().post('/api/auth/login').expect(400);
      expect(typeof res.body.error).toBe('string');
      expect(res.body.details.length).toBeGreaterThan(0);
    });

    it('body over 100 kB: 413', async () => {
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ email: 'a@example.com', password: 'x'.repeat(110 * 1024) })
        .expect(413);
      expect(res.body).toEqual({ error: Messages.payloadTooLarge });
    });

    it('unknown route: 404 JSON', async () => {
      const res = await t.http().get('/api/does-not-exist').expect(404);
      expect(res.body).toEqual({ error: Messages.notFound });
    });

    it('wrong method: 404 JSON', async () => {
      const res = await t.http().put('/api/auth/login').send({}).expect(404);
      expect(res.body).toEqual({ error: Messages.notFound });
    });

    it('a NUL character in a JSON string or in the URL: 400 (PostgreSQL cannot store it)', async () => {
      const body = await t
        .http()
        .post('/api/auth/register')
        .set('Content-Type', 'application/json')
        .send('{"email":"a@example.com","password":"pass\\u0000word1","displayName":"x"}')
        .expect(400);
      expect(body.body).toEqual({ error: Messages.nulCharacter });
      const url = await t.http().get('/api/connect/check?service=DR%00OP').expect(400);
      expect(url.body).toEqual({ error: Messages.nulCharacter });
    });

    it('a JSON array instead of an object: 400', async () => {
      const res = await t.http().post('/api/auth/login').send([1, 2]).expect(400);
      expect(typeof res.body.error).toBe('string');
    });
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const given = await t.http().get('/api/health').set('X-Request-Id', 'gw-1234').expect(200);
    expect(given.headers['x-request-id']).toBe('gw-1234');
    const made = await t.http().get('/api/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends helmet security headers', async () => {
    const res = await t.http().get('/api/health').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  describe('CORS', () => {
    it('answers a preflight from a listed origin for every method the API uses', async () => {
      const res = await t
        .http()
        .options('/api/auth/disable-account')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'DELETE')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) expect(res.headers['access-control-allow-methods']).toContain(m);
      expect(res.headers['access-control-allow-headers']).toMatch(/authorization/i);
    });

    it('gives an unlisted origin no CORS headers', async () => {
      const res = await t.http().get('/api/health').set('Origin', 'https://evil.example.net').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await t
        .http()
        .options('/api/auth/login')
        .set('Origin', 'https://evil.example.net')
        .set('Access-Control-Request-Method', 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('GET /api/audit', () => {
    it('lists only the caller’s own events, newest first, with IPs decrypted', async () => {
      const alice = await givenUser(t);
      const bob = await givenUser(t);
      const res = await t.http().get('/api/audit').set(bearer(alice.token)).expect(200);
      expect(res.body.total).toBe(2);
      expect(res.body.logs.map((l: { action: string }) => l.action).sort()).toEqual(['SESSION_CREATE', 'USER_REGISTER']);
      expect(res.body.logs[0].data.ip).toMatch(/^(127\.0\.0\.1|::1)$/);
      const bobs = await t.http().get('/api/audit').set(bearer(bob.token)).expect(200);
      expect(bobs.body.logs.every((l: { id: string }) => !res.body.logs.some((a: { id: string }) => a.id === l.id))).toBe(true);
    });

    it('answers each event as written: createdAt to the millisecond, data as stored (nested, unicode, quotes), no data as {}', async () => {
      const u = await givenUser(t);
      const logs = t.dataSource.getRepository(AuditLog);
      const data = { fields: ['displayName', 'avatar'], note: 'Zoë "quoted" \\ back\nslash ✓', nested: { n: 1.5, ok: true, none: null } };
      t.clock.advance(1234);
      const first = t.clock.now();
      await logs.insert(logs.create({ userId: u.id, actorId: u.id, action: 'USER_UPDATE', data, createdAt: first }));
      t.clock.advance(1);
      const second = t.clock.now();
      await logs.insert(logs.create({ userId: u.id, actorId: null, action: 'USER_UPDATE', data: null, createdAt: second }));
      const res = await t.http().get('/api/audit?action=USER_UPDATE').set(bearer(u.token)).expect(200);
      expect(res.body).toEqual({
        logs: [
          { id: expect.any(String), action: 'USER_UPDATE', data: {}, createdAt: second.toISOString() },
          { id: expect.any(String), action: 'USER_UPDATE', data, createdAt: first.toISOString() },
        ],
        total: 2,
        limit: 50,
        offset: 0,
        nextCursor: null,
      });
      expect(Object.keys(res.body.logs[0])).toEqual(['id', 'action', 'data', 'createdAt']);
    });

    it('opens each distinct sealed IP once per page (never across requests); one that does not open reads as null', async () => {
      const u = await givenUser(t);
      const protector = t.app.get(DataProtector);
      const shared = protector.seal('192.0.2.10');
      const own = protector.seal('192.0.2.11');
      const ips = [shared, own, shared, 'v1:not-a-sealed-value', shared];
      const logs = t.dataSource.getRepository(AuditLog);
      for (const ip of ips) {
        t.clock.advance(1000);
        await logs.insert(logs.create({ userId: u.id, actorId: u.id, action: 'USER_LOGIN', data: { ip, twoFactorUsed: false }, createdAt: t.clock.now() }));
      }
      const open = jest.spyOn(protector, 'open');
      try {
        for (const round of [1, 2]) {
          const res = await t.http().get('/api/audit?action=USER_LOGIN').set(bearer(u.token)).expect(200);
          // newest first
          expect(res.body.logs.map((l: { data: { ip: string | null } }) => l.data.ip)).toEqual(['192.0.2.10', null, '192.0.2.10', '192.0.2.11', '192.0.2.10']);
          expect(open).toHaveBeenCalledTimes(3 * round);
        }
      } finally {
        open.mockRestore();
      }
    });

    it('filters by action, caps limit at 100 and pages with a cursor', async () => {
      const u = await givenUser(t);
      for (let i = 0; i < 4; i++) {
        t.clock.advance(1000);
        await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: `Name ${i}` }).expect(200);
      }
      await t.http().get('/api/audit?limit=101').set(bearer(u.token)).expect(400);
      await t.http().get('/api/audit?action=NOT_AN_ACTION').set(bearer(u.token)).expect(400);
      await t.http().get('/api/audit?cursor=%27%3B--').set(bearer(u.token)).expect(400);
      const first = await t.http().get('/api/audit?action=USER_UPDATE&limit=3').set(bearer(u.token)).expect(200);
      expect(first.body.total).toBe(4);
      expect(first.body.logs).toHaveLength(3);
      expect(first.body.logs[0].data).toEqual({ fields: ['displayName'] });
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t
        .http()
        .get(`/api/audit?action=USER_UPDATE&limit=3&cursor=${first.body.nextCursor}`)
        .set(bearer(u.token))
        .expect(200);
      expect(second.body.logs).toHaveLength(1);
      expect(second.body.total).toBe(4); // the filter's total, on every page
      expect(second.body.nextCursor).toBeNull();
      // Past the end: no rows, the same totals.
      const past = await t.http().get('/api/audit?action=USER_UPDATE&offset=10').set(bearer(u.token)).expect(200);
      expect(past.body).toMatchObject({ logs: [], total: 4, offset: 10, nextCursor: null });
      const all = await t.http().get('/api/audit?offset=50').set(bearer(u.token)).expect(200);
      expect(all.body).toMatchObject({ logs: [], total: 6, nextCursor: null }); // + USER_REGISTER, SESSION_CREATE
      const none = await t.http().get('/api/audit?action=PASSWORD_CHANGE').set(bearer(u.token)).expect(200);
      expect(none.body).toMatchObject({ logs: [], total: 0, nextCursor: null });
      const seen = new Set([...first.body.logs, ...second.body.logs].map((l: { id: string }) => l.id));
      expect(seen.size).toBe(4);
    });

    it('refuses a cursor it did not make with 400 (a crafted id or time never reaches the database as a 500)', async () => {
      const u = await givenUser(t);
      const page = await t.http().get('/api/audit?limit=1').set(bearer(u.token)).expect(200);
      const [time, id] = Buffer.from(page.body.nextCursor, 'base64url').toString().split('|');
      const crafted = [
        `${time}|${'a'.repeat(36)}`, // 36 hex digits: not a UUID
        `${time}|${'-'.repeat(36)}`,
        `${time}|${id.replace(/-/g, '')}0000`,
        `-200000-01-01T00:00:00.000Z|${id}`, // a Date, but outside the database's range
        `+275760-09-13T00:00:00.000Z|${id}`,
        `2024-01-01|${id}`, // not the form the service writes
        `${time.replace('Z', '+01:00')}|${id}`,
        `${time}|${id}|extra`,
        `${time}`,
        '',
      ];
      for (const text of crafted) {
        const res = await t.http().get(`/api/audit?cursor=${Buffer.from(text).toString('base64url') || 'x'}`).set(bearer(u.token));
        expect({ text, status: res.status, body: res.body }).toEqual({ text, status: 400, body: { error: 'cursor is not valid' } });
      }
      // The service's own cursor, upper-cased id included, still pages.
      const upper = Buffer.from(`${time}|${id.toUpperCase()}`).toString('base64url');
      const next = await t.http().get(`/api/audit?limit=1&cursor=${upper}`).set(bearer(u.token)).expect(200);
      expect(next.body.logs).toHaveLength(1);
    });

    it('pages through events written in the same instant (ties broken by id), each once', async () => {
      const u = await givenUser(t); // USER_REGISTER and SESSION_CREATE share one timestamp
      const first = await t.http().get('/api/audit?limit=1').set(bearer(u.token)).expect(200);
      const second = await t.http().get(`/api/audit?limit=1&cursor=${first.body.nextCursor}`).set(bearer(u.token)).expect(200);
      expect(first.body.logs[0].createdAt).toBe(second.body.logs[0].createdAt);
      expect(new Set([first.body.logs[0].action, second.body.logs[0].action])).toEqual(new Set(['USER_REGISTER', 'SESSION_CREATE']));
      expect(second.body.nextCursor).toBeNull();
    });

    it('needs a token', async () => {
      const res = await t.http().get('/api/audit').expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    });
  });
});
