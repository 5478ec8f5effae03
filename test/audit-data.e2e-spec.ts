import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { DataProtector } from '../src/common/crypto/data-protector';
import { bearer, givenUser, GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * GET /api/audit answers each event's data as stored, except that a top-level string `ip`
 * (sealed at rest) is answered opened: not a nested one, not one of another type, and one that
 * does not open is null. Data that is null answers {}. SQLite by default, PostgreSQL with
 * TEST_DATABASE_URL (jsonb keeps its own key order; the comparison is by value).
 */
describe('GET /api/audit: each event answers its data as stored, its IP opened', () => {
  let t: TestApp;
  let user: GivenUser;
  let sealed: string;
  /** Another IP, sealed to a ciphertext of the same length: answered apart from its neighbours. */
  let sealedOther: string;

  /** Data as stored, and what the owner must read back. */
  const cases: Array<{ name: string; stored: () => Record<string, unknown> | null; read: unknown }> = [
    { name: 'an IP and more', stored: () => ({ ip: sealed, twoFactorUsed: false }), read: { ip: '203.0.113.9', twoFactorUsed: false } },
    { name: 'an IP alone', stored: () => ({ ip: sealed }), read: { ip: '203.0.113.9' } },
    { name: 'another IP of the same length, between two events of the first', stored: () => ({ ip: sealedOther }), read: { ip: '203.0.113.8' } },
    { name: 'the first IP again', stored: () => ({ ip: sealed, twoFactorUsed: true }), read: { ip: '203.0.113.9', twoFactorUsed: true } },
    { name: 'an IP that does not open', stored: () => ({ ip: 'v1:AAAA', sessionId: 'x' }), read: { ip: null, sessionId: 'x' } },
    { name: 'an IP that is not a string', stored: () => ({ ip: 42 }), read: { ip: 42 } },
    { name: 'an IP that is null', stored: () => ({ ip: null, reason: 'none' }), read: { ip: null, reason: 'none' } },
    { name: 'an ip only inside a nested object', stored: () => ({ old: { ip: 'v1:nested-never-opened' } }), read: { old: { ip: 'v1:nested-never-opened' } } },
    { name: 'no data', stored: () => null, read: {} },
    { name: 'an empty object', stored: () => ({}), read: {} },
    {
      name: 'text that JSON must escape',
      stored: () => ({ ip: sealed, note: 'quote " backslash \\ newline \n tab \t é 漢字 😀 </script>', list: [1, 'two', { three: 3 }], n: -1.5e-7 }),
      read: { ip: '203.0.113.9', note: 'quote " backslash \\ newline \n tab \t é 漢字 😀 </script>', list: [1, 'two', { three: 3 }], n: -1.5e-7 },
    },
    { name: 'a key "ip" in a string value', stored: () => ({ text: '{"ip": "x"}' }), read: { text: '{"ip": "x"}' } },
    // jsonb writes shorter keys first: these put the IP after another key
    { name: 'an IP after a one-letter key', stored: () => ({ a: 1, ip: sealed }), read: { a: 1, ip: '203.0.113.9' } },
    { name: 'an IP after an empty key', stored: () => ({ '': 'e', ip: sealed }), read: { '': 'e', ip: '203.0.113.9' } },
    { name: 'an IP, and the same ciphertext nested', stored: () => ({ ip: sealed, old: { ip: sealed } }), read: () => ({ ip: '203.0.113.9', old: { ip: sealed } }) },
    { name: 'an IP with an escaped quote in it', stored: () => ({ ip: 'v1:a"b', reason: 'x' }), read: { ip: null, reason: 'x' } },
    { name: 'an IP that is empty', stored: () => ({ ip: '' }), read: { ip: null } },
    { name: 'data that is an array', stored: () => [{ ip: sealed }] as unknown as Record<string, unknown>, read: () => [{ ip: sealed }] },
    // Both databases answer a page's events as one text, its fields separated by U+0001 (eventsOf);
    // U+0002 was the event separator before one separator did for both
    {
      name: 'the page text separators in a key and a value',
      stored: () => ({ ip: sealed, '\u0001': '\u0002', note: 'a\u0001b\u0002c' }),
      read: { ip: '203.0.113.9', '\u0001': '\u0002', note: 'a\u0001b\u0002c' },
    },
  ];

  /** What the owner must read back (a function where it names the ciphertext, made in beforeAll). */
  const readOf = (c: (typeof cases)[number]): unknown => (typeof c.read === 'function' ? (c.read as () => unknown)() : c.read);

  beforeAll(async () => {
    t = await createTestApp();
    user = await givenUser(t);
    sealed = t.app.get(DataProtector).seal('203.0.113.9');
    sealedOther = t.app.get(DataProtector).seal('203.0.113.8');
    const logs = t.dataSource.getRepository(AuditLog);
    for (const c of cases) {
      t.clock.advance(1000);
      await logs.insert(logs.create({ userId: user.id, actorId: user.id, action: 'USER_UPDATE', data: c.stored() as Record<string, unknown>, createdAt: t.clock.now() }));
    }
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('answers every case as stored, only a top-level string ip opened, in a JSON body', async () => {
    const res = await t.http().get('/api/audit?action=USER_UPDATE&limit=50').set(bearer(user.token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    const body = JSON.parse(res.text) as { logs: Array<{ data: unknown; action: string; id: string; createdAt: string }>; total: number; limit: number; offset: number; nextCursor: null };
    expect(body).toMatchObject({ total: cases.length, limit: 50, offset: 0, nextCursor: null });
    // newest first: the last case first
    expect(body.logs.map((l) => l.data)).toEqual([...cases].reverse().map(readOf));
    for (const log of body.logs) {
      expect(Object.keys(log)).toEqual(['id', 'action', 'data', 'createdAt']);
      expect(log.action).toBe('USER_UPDATE');
      expect(log.createdAt).toBe(new Date(log.createdAt).toISOString());
    }
  });

  it('pages by cursor through the same events, each page the same JSON shape', async () => {
    const seen: unknown[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < cases.length; i++) {
      const res = await t
        .http()
        .get(`/api/audit?action=USER_UPDATE&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(user.token));
      expect(res.status).toBe(200);
      seen.push(...(res.body.logs as Array<{ data: unknown }>).map((l) => l.data));
      cursor = res.body.nextCursor as string | null;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual([...cases].reverse().map(readOf));
  });

  it('answers an action as stored, even one with the page text separators in it', async () => {
    // The service only writes known actions; the column takes any text.
    const action = 'LEGACY\u0001ACTION\u0002"X"' as AuditLog['action'];
    const logs = t.dataSource.getRepository(AuditLog);
    t.clock.advance(1000);
    await logs.insert(logs.create({ userId: user.id, actorId: user.id, action, data: { ip: sealed, n: 1 }, createdAt: t.clock.now() }));
    t.clock.advance(1000);
    await logs.insert(logs.create({ userId: user.id, actorId: user.id, action: 'USER_UPDATE', data: null, createdAt: t.clock.now() }));
    const res = await t.http().get('/api/audit?limit=2').set(bearer(user.token));
    expect(res.status).toBe(200);
    expect((res.body.logs as Array<{ action: string; data: unknown }>).map((l) => [l.action, l.data])).toEqual([
      ['USER_UPDATE', {}],
      [action, { ip: '203.0.113.9', n: 1 }],
    ]);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  // PostgreSQL's jsonb cannot hold text that is not JSON; SQLite's text column can.
  (process.env.TEST_DATABASE_URL ? it.skip : it)('SQLite: answers stored text that is not JSON as no data, the page still JSON', async () => {
    const logs = t.dataSource.getRepository(AuditLog);
    t.clock.advance(1000);
    const broken = logs.create({ userId: user.id, actorId: user.id, action: 'USER_UPDATE', data: { n: 2 }, createdAt: t.clock.now() });
    await logs.insert(broken);
    await t.dataSource.query('UPDATE audit_logs SET data = ? WHERE id = ?', ['{"ip": "v1:AAAA", not json', broken.id]);
    const res = await t.http().get('/api/audit?limit=2').set(bearer(user.token));
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).not.toThrow();
    expect((res.body.logs as Array<{ id: string; data: unknown }>).map((l) => [l.id === broken.id, l.data])).toEqual([
      [true, {}],
      [false, {}],
    ]);
  });
});
