import { AuditQueryService } from '../src/audit/audit-query.service';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import type { AuditPageDto, AuditQueryDto } from '../src/audit/dto/audit-query.dto';
import { bearer, givenUser, GivenUser } from './support/given';
import { hotStatementsOf } from './support/statements';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const onPostgres = !!process.env.TEST_DATABASE_URL;

/**
 * Audit pages under concurrency: on PostgreSQL the pages asked for in one event-loop turn
 * share one statement per kind of page (AuditQueryService, auditPageBatchSql), and each must
 * still be exactly the page it would be alone: its own user, filter, cursor, limit, offset and
 * total, a page past the end empty with its total. SQLite by default, PostgreSQL with
 * TEST_DATABASE_URL.
 */
describe('Audit pages at once: each answers for its own caller and query', () => {
  let t: TestApp;
  let users: GivenUser[];
  let service: AuditQueryService;
  /** A page as its caller gets it: the service answers JSON text (JsonText). */
  const page = async (userId: string, query: AuditQueryDto): Promise<AuditPageDto> => JSON.parse((await service.list(userId, query)).text) as AuditPageDto;

  beforeAll(async () => {
    t = await createTestApp();
    service = t.app.get(AuditQueryService);
    users = [];
    const logs = t.dataSource.getRepository(AuditLog);
    for (let u = 0; u < 3; u++) {
      const user = await givenUser(t); // USER_REGISTER, SESSION_CREATE
      users.push(user);
      // A log of its own length per user, two actions interleaved.
      for (let i = 0; i < 7 + 5 * u; i++) {
        t.clock.advance(1000);
        const action = i % 3 === 0 ? 'USER_UPDATE' : 'USER_LOGIN';
        await logs.insert(logs.create({ userId: user.id, actorId: user.id, action, data: { n: i, user: u }, createdAt: t.clock.now() }));
      }
    }
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  /** Every kind of page, for every user, some with a cursor from the page before. */
  async function queries(): Promise<Array<[string, AuditQueryDto]>> {
    const list: Array<[string, AuditQueryDto]> = [];
    for (const u of users) {
      const first = await page(u.id, { limit: 3 });
      const firstAction = await page(u.id, { limit: 2, action: 'USER_LOGIN' });
      list.push(
        [u.id, {}],
        [u.id, { limit: 3 }],
        [u.id, { limit: 2, offset: 4 }],
        [u.id, { offset: 500 }], // past the end
        [u.id, { action: 'USER_UPDATE' }],
        [u.id, { action: 'PASSWORD_CHANGE' }], // no such events
        [u.id, { action: 'USER_LOGIN', offset: 3, limit: 2 }],
        [u.id, { limit: 3, cursor: first.nextCursor! }],
        [u.id, { limit: 2, action: 'USER_LOGIN', cursor: firstAction.nextCursor! }],
      );
    }
    return list;
  }

  it('pages started together equal the same pages read one by one', async () => {
    const list = await queries();
    const alone: AuditPageDto[] = [];
    for (const [userId, query] of list) alone.push(await page(userId, query));
    // In reverse order, all at once: a page's place in its batch must not matter.
    const together = (await Promise.all([...list].reverse().map(([userId, query]) => page(userId, query)))).reverse();
    expect(together).toEqual(alone);
    // and they are the pages they should be
    expect(alone[0]).toMatchObject({ total: 9, limit: 50, offset: 0, nextCursor: null });
    expect(alone[0].logs).toHaveLength(9);
    expect(alone[3]).toEqual({ logs: [], total: 9, limit: 50, offset: 500, nextCursor: null });
    expect(alone[5]).toEqual({ logs: [], total: 0, limit: 50, offset: 0, nextCursor: null });
    expect(alone[4].logs.map((l) => l.data)).toEqual([6, 3, 0].map((n) => ({ n, user: 0 })));
    expect(alone[4].total).toBe(3);
    expect(new Set(alone.slice(0, 9).flatMap((p) => p.logs.map((l) => (l.data as { user?: number }).user ?? 'own')))).toEqual(new Set([0, 'own']));
    // the second user's page by cursor continues its own first page, with none of its events
    const firstOfSecond = await page(users[1].id, { limit: 3 });
    const byCursor = alone[9 + 7];
    expect(byCursor.logs[0].createdAt < firstOfSecond.logs[2].createdAt).toBe(true);
    expect(byCursor.total).toBe(14);
    expect(byCursor.logs.filter((l) => firstOfSecond.logs.some((f) => f.id === l.id))).toEqual([]);
  });

  it('over HTTP too: many callers at once, each sees only their own log', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const u = users[i % users.length];
        return t.http().get(`/api/audit?limit=${1 + (i % 5)}`).set(bearer(u.token)).then((res) => ({ i, u, res }));
      }),
    );
    for (const { i, u, res } of answers) {
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2 + 7 + 5 * users.indexOf(u));
      expect(res.body.logs).toHaveLength(1 + (i % 5));
      for (const log of res.body.logs) expect(log.data.user).toBe(users.indexOf(u));
    }
  });

  it(`pages started in one turn are ${onPostgres ? 'one statement per kind of page' : 'a statement each (SQLite: no round trip to share)'}`, async () => {
    const statements = await hotStatementsOf(() =>
      Promise.all([...users.map((u) => service.list(u.id, { limit: 2 })), ...users.map((u) => service.list(u.id, { action: 'USER_UPDATE' }))]),
    );
    if (onPostgres) {
      expect(statements).toEqual(['nullpass_audit_batch_all_offset', 'nullpass_audit_batch_action_offset']);
    } else {
      expect(statements).toEqual([...users.map(() => 'nullpass_audit_page_all_offset'), ...users.map(() => 'nullpass_audit_page_action_offset')]);
    }
  });
});
