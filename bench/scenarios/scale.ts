import { createHmac, randomBytes } from 'node:crypto';
import { DataProtector } from '../../src/common/crypto/data-protector';
import { BULK_PASSWORD, bulkEmail } from '../../src/database/seed-bulk';
import { bearerHeaders, call, jsonHeaders, loginStep } from '../lib/api';
import type { Measurement, SequencedRequest } from '../lib/load';
import { check, kindsOf, problemsOf, rowOf, type Row, type Scenario, type ScenarioOutcome } from '../lib/scenario';
import { CHECK, checkLoad, HEALTH, healthLoad, ME, meLoad, validationRequests, VERIFY, verifyLoad } from '../lib/validation-loads';

const AUDIT_FIRST = 'GET /api/audit first page (20-event logs)';
const AUDIT_DEEP = 'GET /api/audit cursor at every depth (long log)';
const AUDIT_DEEP_ACTION = 'GET /api/audit?action=USER_LOGIN cursor at depth (long log)';
const LOGIN = 'POST /api/auth/login (seeded users)';
const MIXED = 'mixed: 90% validation, 8% reads, 2% writes';

interface Sampled {
  index: number;
  userId: string;
  sessionId: string;
  token: string;
}

/** An HS256 access token as TokenService.signAccess makes it. */
function accessToken(secret: string, userId: string, sessionId: string, jti: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: userId, sid: sessionId, jti, typ: 'access', iat, exp: iat + 6 * 3600 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Issue 8, cost flat as data grows: the hot requests on a database filled by
 * `npm run seed:bulk` (run it at 10 thousand and at 1 million users on PostgreSQL, 100
 * thousand on SQLite, and compare the p99 of the two result files: target within 1.5×).
 * Tokens are minted for seeded sessions of users spread over the whole table (the seed's
 * IP_ENCRYPTION_KEY gives each session's jti), so every request reads rows the size of
 * the table puts wherever they landed. The audit phases page bulk-user-0's long log by
 * cursor, each connection at its own depth. Needs --seeded; otherwise "unavailable".
 * The app writes to the seeded database as it would in use (logins add sessions and
 * events, validation slides a session's expiry once a minute).
 */
export const scenario: Scenario = {
  name: 'scale',
  order: 70,
  description: 'token validation, connect check, audit listing at depth and login on a --seeded (npm run seed:bulk) database',
  async run(ctx): Promise<ScenarioOutcome> {
    if (!ctx.options.seeded) {
      const why = 'needs --seeded <url> (npm run seed:bulk -- --users N first); nothing measured';
      ctx.log(why);
      return { status: 'unavailable', rows: [], targets: [], notes: [why] };
    }
    const { connections, loginConnections } = ctx.options;
    const db = await ctx.seededDb();
    const p = (i: number) => (db.kind === 'postgres' ? `$${i}` : '?');
    const [{ n }] = await db.query<{ n: string | number }>("SELECT count(*) AS n FROM users WHERE email LIKE 'bulk-user-%'");
    const userCount = Number(n);
    if (!userCount) throw new Error('the --seeded database has no bulk users (npm run seed:bulk)');
    const [{ hash }] = await db.query<{ hash: string }>(`SELECT password_hash AS hash FROM users WHERE email = ${p(1)}`, [bulkEmail(0)]);
    const cost = Number(/^\$2[aby]\$(\d+)\$/.exec(hash)?.[1] ?? NaN);

    // Users spread evenly over the table (one per connection), one live session each.
    const protector = new DataProtector({ ipEncryptionKey: ctx.options.seeded.ipKey } as ConstructorParameters<typeof DataProtector>[0]);
    const jwtSecret = randomBytes(30).toString('base64url');
    const sampled: Sampled[] = [];
    for (let k = 0; k < connections; k++) {
      const index = Math.min(userCount - 1, Math.floor(((k + 0.5) * userCount) / connections));
      const rows = await db.query<{ user_id: string; session_id: string }>(
        `SELECT u.id AS user_id, s.id AS session_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.email = ${p(1)} ORDER BY s.created_at DESC LIMIT 1`,
        [bulkEmail(index)],
      );
      if (!rows.length) throw new Error(`${bulkEmail(index)} has no session in the seeded database`);
      const { user_id: userId, session_id: sessionId } = rows[0];
      sampled.push({ index, userId, sessionId, token: accessToken(jwtSecret, userId, sessionId, protector.jtiFor(sessionId)) });
    }
    const longLogUser = await db.query<{ user_id: string; session_id: string }>(
      `SELECT u.id AS user_id, s.id AS session_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.email = ${p(1)} LIMIT 1`,
      [bulkEmail(0)],
    );
    const longToken = accessToken(jwtSecret, longLogUser[0].user_id, longLogUser[0].session_id, protector.jtiFor(longLogUser[0].session_id));

    await ctx.closeSeededDb();
    const app = await ctx.startApp({ label: 'scale', bcryptRounds: Number.isFinite(cost) ? cost : 12, seeded: true, env: { JWT_SECRET: jwtSecret } });
    const probe = await call(app, 'GET', '/api/auth/me', { token: sampled[sampled.length - 1].token });
    if (probe.status !== 200) throw new Error(`/api/auth/me with a minted token answered ${probe.status}: ${probe.text.slice(0, 300)} (same --seed-ip-key as the seed?)`);

    // Every cursor of the long log (limit 50), by paging through it once.
    const cursorsOf = async (query: string): Promise<{ cursors: Array<string | null>; total: number }> => {
      const cursors: Array<string | null> = [null];
      let total = 0;
      for (let page = 0; page < 10_000; page++) {
        const cursor = cursors[cursors.length - 1];
        const res = await call<{ nextCursor: string | null; total: number }>(
          app,
          'GET',
          `/api/audit?limit=50${query}${cursor ? `&cursor=${cursor}` : ''}`,
          { token: longToken },
        );
        if (res.status !== 200) throw new Error(`/api/audit answered ${res.status}: ${res.text.slice(0, 300)}`);
        total = res.body.total;
        if (!res.body.nextCursor) break;
        cursors.push(res.body.nextCursor);
      }
      return { cursors, total };
    };
    const deep = await cursorsOf('');
    const deepAction = await cursorsOf('&action=USER_LOGIN');
    const atDepth = (cursors: Array<string | null>, i: number) => cursors[Math.floor(((i % connections) * cursors.length) / connections)];

    const perUser = (i: number) => sampled[i % sampled.length];
    const measured: Array<{ m: Measurement; baseline?: string }> = [];
    const run = async (label: string, spec: Parameters<typeof ctx.measure>[1]): Promise<Measurement> => {
      ctx.log(label);
      const m = await ctx.measure(app, { ...spec, label });
      measured.push({ m });
      return m;
    };
    // The validation targets are ratios to /api/health: those loads and their baseline take turns
    // in --rounds slices, as in the validation scenario, so they see the same machine.
    ctx.log(`${HEALTH} (baseline), ${ME}, ${VERIFY} and ${CHECK}, interleaved in ${ctx.options.rounds} rounds`);
    const tokenOf = (i: number): string => perUser(i).token;
    const [health, me, verify, connect] = await ctx.measureInterleaved([
      { target: app, spec: healthLoad(connections) },
      { target: app, spec: meLoad(connections, tokenOf) },
      { target: app, spec: verifyLoad(connections, tokenOf) },
      { target: app, spec: checkLoad(connections, tokenOf) },
    ]);
    measured.push({ m: health }, { m: me, baseline: HEALTH }, { m: verify, baseline: HEALTH }, { m: connect, baseline: HEALTH });
    const auditFirst = await run(AUDIT_FIRST, {
      label: AUDIT_FIRST,
      path: '/api/audit?limit=50',
      connections,
      perConnection: (i) => ({ headers: bearerHeaders(perUser(i).token) }),
    });
    // The cursor is in the path: each connection gets its own (its depth).
    const auditDeep = await run(AUDIT_DEEP, {
      label: AUDIT_DEEP,
      path: '/api/audit?limit=50',
      connections,
      perConnection: (i) => ({ headers: bearerHeaders(longToken), path: pathWithCursor('/api/audit?limit=50', atDepth(deep.cursors, i)) }),
    });
    const auditDeepAction = await run(AUDIT_DEEP_ACTION, {
      label: AUDIT_DEEP_ACTION,
      path: '/api/audit?limit=50&action=USER_LOGIN',
      connections,
      perConnection: (i) => ({
        headers: bearerHeaders(longToken),
        path: pathWithCursor('/api/audit?limit=50&action=USER_LOGIN', atDepth(deepAction.cursors, i)),
      }),
    });
    // Each connection cycles through 50 requests: 45 token checks (/me, /verify, /connect/check),
    // 4 reads (audit page, entitlements) and 1 write (PATCH /api/auth/me, audited USER_UPDATE).
    // Issue 8 sets no target on the mix (its p99 is about the writes' median, 2 % of it): it is
    // reported, with each kind's latency in the notes, beside the targets of validation alone.
    const mixed = await run(MIXED, {
      label: MIXED,
      path: '/api/auth/me',
      connections,
      perConnection: (i) => {
        const u = perUser(i);
        const auth = bearerHeaders(u.token);
        const checks = validationRequests(u.token);
        const requests: SequencedRequest[] = Array.from({ length: 45 }, (_, k) => checks[k % checks.length]);
        requests.splice(10, 0, { method: 'GET', path: '/api/audit?limit=50', headers: auth, kind: 'read' });
        requests.splice(20, 0, { method: 'GET', path: '/api/services', headers: auth, kind: 'read' });
        requests.splice(30, 0, { method: 'GET', path: '/api/audit?limit=50', headers: auth, kind: 'read' });
        requests.splice(40, 0, { method: 'GET', path: '/api/auth/sessions', headers: auth, kind: 'read' });
        requests.splice(45, 0, {
          method: 'PATCH',
          path: '/api/auth/me',
          headers: { ...auth, ...jsonHeaders },
          body: JSON.stringify({ displayName: `Bulk User ${u.index} (${i})` }),
          kind: 'write',
        });
        return { headers: auth, requests };
      },
    });
    // Logins as whole flows (as the login scenario counts them): each worker a seeded user of its own.
    ctx.log(LOGIN);
    const loginEmails = Array.from({ length: loginConnections }, (_, i) => bulkEmail(perUser(i + 7).index));
    const login = await ctx.measureFlow(app, { label: LOGIN, path: '/api/auth/login', connections: loginConnections, step: loginStep(app, loginEmails, BULK_PASSWORD) });
    measured.push({ m: login });

    const rows: Row[] = measured.map(({ m, baseline }) => rowOf(m, baseline ? { baseline } : {}));
    const ratio = (m: Measurement) => (m.rps / health.rps) * 100;
    const peak = Math.max(...measured.map(({ m }) => m.peakRssMb ?? 0)) || null;
    return {
      status: 'ok',
      dataset: `${userCount}-users`,
      rows,
      notes: [
        `${userCount} seeded users; tokens of ${sampled.length} users spread over the table (bulk-user-${sampled[0].index} … bulk-user-${sampled[sampled.length - 1].index})`,
        `long log: ${deep.total} events, ${deep.cursors.length} pages of 50 (each connection on one depth); USER_LOGIN only: ${deepAction.total} events, ${deepAction.cursors.length} pages`,
        `logins: ${loginConnections} connections, bcrypt cost ${cost} (the seed's hash)`,
        ...kindsOf(mixed),
        ...measured.flatMap(({ m }) => problemsOf(m)),
      ],
      targets: [
        check(`${ME} req/s vs /api/health`, ratio(me), '>=', 60, '%', 'issue 8'),
        check(`${VERIFY} req/s vs /api/health`, ratio(verify), '>=', 60, '%', 'issue 8'),
        check(`${CHECK} req/s vs /api/health`, ratio(connect), '>=', 60, '%', 'issue 8'),
        check(`${ME} p99`, me.p99Ms, '<', 15, 'ms', 'issue 8'),
        check(`${VERIFY} p99`, verify.p99Ms, '<', 15, 'ms', 'issue 8'),
        check(`${CHECK} p99`, connect.p99Ms, '<', 15, 'ms', 'issue 8'),
        check(`${AUDIT_FIRST} p99`, auditFirst.p99Ms, '<', 30, 'ms', 'issue 8'),
        check(`${AUDIT_DEEP} p99`, auditDeep.p99Ms, '<', 30, 'ms', 'issue 8'),
        check(`${AUDIT_DEEP_ACTION} p99`, auditDeepAction.p99Ms, '<', 30, 'ms', 'issue 8'),
        check('peak RSS', peak, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};

function pathWithCursor(path: string, cursor: string | null): string {
  return cursor ? `${path}&cursor=${cursor}` : path;
}
