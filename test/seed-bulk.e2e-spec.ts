import { DataProtector } from '../src/common/crypto/data-protector';
import { TokenService } from '../src/auth/token.service';
import { BULK_PASSWORD, bulkEmail, seedBulk, type SeedBulkReport } from '../src/database/seed-bulk';
import { Messages } from '../src/common/messages';
import { bearer } from './support/given';
import { createTestApp, dropSchema, type TestApp } from './support/test-app';

/**
 * The bulk generator of the scale benchmarks (issue 8) writes rows the app accepts as its
 * own: a seeded user logs in with the seed password through the API, and a token minted
 * for a seeded session (the jti the server derives for it) is a valid session at /api/auth/me.
 */
describe('seed:bulk generator', () => {
  let t: TestApp;
  let report: SeedBulkReport;
  const USERS = 50;

  beforeAll(async () => {
    t = await createTestApp();
    report = await seedBulk(t.dataSource, t.app.get(DataProtector), {
      users: USERS,
      longLog: 120,
      bcryptRounds: 4,
      sessionDays: 7,
      batchUsers: 16, // several transactions, and a last partial one
      now: t.clock.now(),
    });
  });

  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number(((await t.dataSource.query(sql, params)) as Array<{ n: string | number }>)[0].n);
  const p = (i: number) => (t.dataSource.options.type === 'postgres' ? `$${i}` : '?');

  it('writes N users with 5 sessions, 3 entitlements and 20 audit events each, and the long log of user 0', async () => {
    expect(report.rows).toEqual({
      users: USERS,
      sessions: USERS * 5,
      entitlements: USERS * 3,
      auditLogs: (USERS - 1) * 20 + 120,
      total: USERS + USERS * 5 + USERS * 3 + (USERS - 1) * 20 + 120,
    });
    expect(await count("SELECT count(*) AS n FROM users WHERE email LIKE 'bulk-user-%'")).toBe(USERS);
    expect(await count('SELECT count(*) AS n FROM sessions')).toBe(USERS * 5);
    expect(await count('SELECT count(*) AS n FROM service_entitlements')).toBe(USERS * 3);
    expect(await count('SELECT count(*) AS n FROM audit_logs')).toBe((USERS - 1) * 20 + 120);
    expect(report.rowsPerSecond).toBeGreaterThan(0);
  });

  it("seals IPs as the app does: each session its own, and events share their session's over its lifetime", async () => {
    const protector = t.app.get(DataProtector);
    const sealedIps = async (email: string) => {
      const rows = (await t.dataSource.query(
        `SELECT a.data AS data FROM audit_logs a JOIN users u ON u.id = a.user_id WHERE u.email = ${p(1)} AND a.action IN ('USER_LOGIN', 'SESSION_CREATE')`,
        [email],
      )) as Array<{ data: string | { ip: string } }>;
      return rows.map((r) => (typeof r.data === 'string' ? (JSON.parse(r.data) as { ip: string }) : r.data).ip);
    };
    const long = await sealedIps(bulkEmail(0));
    expect(long.length).toBeGreaterThan(60);
    for (const sealed of new Set(long)) expect(protector.open(sealed)).toMatch(/^198\.51\.100\.(1[0-7])$/);
    // A year of 7-day sessions: many ciphertexts, each shared by the events of one session.
    const distinct = new Set(long).size;
    expect(distinct).toBeGreaterThan(20);
    expect(distinct).toBeLessThan(long.length);
    // Another user's events never carry user 0's ciphertexts.
    const other = await sealedIps(bulkEmail(7));
    expect(other.length).toBeGreaterThan(0);
    expect(other.filter((x) => long.includes(x))).toEqual([]);
    const sessionIps = (await t.dataSource.query(`SELECT s.ip_encrypted AS ip FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ${p(1)}`, [
      bulkEmail(7),
    ])) as Array<{ ip: string }>;
    expect(new Set(sessionIps.map((r) => r.ip)).size).toBe(5);
  });

  it('refuses to seed the same database twice (the emails are taken)', async () => {
    await expect(seedBulk(t.dataSource, t.app.get(DataProtector), { users: 1, bcryptRounds: 4, sessionDays: 7 })).rejects.toThrow(
      /already exists/,
    );
    expect(await count("SELECT count(*) AS n FROM users WHERE email LIKE 'bulk-user-%'")).toBe(USERS);
  });

  it('a seeded user logs in through the API with the seed password, and a wrong one is refused', async () => {
    const login = await t.http().post('/api/auth/login').send({ email: bulkEmail(17), password: BULK_PASSWORD }).expect(200);
    expect(login.body.user.email).toBe(bulkEmail(17));
    expect(login.body.services.map((s: { service: string }) => s.service)).toEqual(['DROP', 'MAILS', 'VAULT']);
    await t.http().get('/api/auth/me').set(bearer(login.body.token)).expect(200);

    const wrong = await t.http().post('/api/auth/login').send({ email: bulkEmail(18), password: 'not-the-password' }).expect(401);
    expect(wrong.body).toEqual({ error: Messages.invalidCredentials });
  });

  it('a token minted for a seeded session is accepted at /api/auth/me; one with another jti is not', async () => {
    const [user] = (await t.dataSource.query(`SELECT id FROM users WHERE email = ${p(1)}`, [bulkEmail(31)])) as Array<{ id: string }>;
    const sessions = (await t.dataSource.query(`SELECT id FROM sessions WHERE user_id = ${p(1)}`, [user.id])) as Array<{ id: string }>;
    expect(sessions).toHaveLength(5);
    const tokens = t.app.get(TokenService);
    const protector = t.app.get(DataProtector);
    const expiresAt = new Date(t.clock.nowMs() + 3_600_000);
    for (const { id } of sessions) {
      const token = tokens.signAccess(user.id, id, protector.jtiFor(id), expiresAt, t.clock.nowMs());
      const me = await t.http().get('/api/auth/me').set(bearer(token)).expect(200);
      expect(me.body.user.id).toBe(user.id);
      expect(me.body.user.email).toBe(bulkEmail(31));
      expect(me.body.user.serviceAccess).toHaveLength(3);
    }
    const forged = tokens.signAccess(user.id, sessions[0].id, protector.jtiFor(sessions[1].id), expiresAt, t.clock.nowMs());
    await t.http().get('/api/auth/me').set(bearer(forged)).expect(401);
  });

  it('the seeded sessions are listed as live with their IPs decrypted, and the audit log pages by cursor', async () => {
    const login = await t.http().post('/api/auth/login').send({ email: bulkEmail(0), password: BULK_PASSWORD }).expect(200);
    const listed = await t.http().get('/api/auth/sessions').set(bearer(login.body.token)).expect(200);
    const ips = JSON.stringify(listed.body);
    expect(ips).toMatch(/198\.51\.100\.\d+/);

    // 120 seeded events + this login's USER_LOGIN and SESSION_CREATE, newest first, walked by cursor.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { logs: Array<{ id: string; createdAt: string; data: Record<string, unknown> }>; total: number; nextCursor: string | null } } =
        await t
          .http()
          .get('/api/audit')
          .query({ limit: 50, ...(cursor ? { cursor } : {}) })
          .set(bearer(login.body.token))
          .expect(200);
      expect(res.body.total).toBe(122);
      seen.push(...res.body.logs.map((l) => l.createdAt));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(122);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
