/**
 * The plans of the hot queries on a database filled by `npm run seed:bulk` (issue 8):
 *
 *   node dist/bench/explain.js --seeded sqlite:/tmp/bulk.sqlite
 *   node dist/bench/explain.js --seeded postgres://postgres@127.0.0.1:5432/test --seeded-schema bulk_1m
 *
 * PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN. The statements are
 * the ones the services send (written out here, parameters of a user in the middle of the
 * table and of bulk-user-0's long log); printed as Markdown for bench/README.md.
 */
import { parseArgs } from 'node:util';
import { entitlementsOf } from '../migrations/1764900000000-user-entitlements-json';
import { auditPageBatchSql, auditPageSqliteSql, auditTotalSql } from '../src/audit/audit-query.service';
import { openSeeded } from './lib/database';

/** A statement with positional placeholders (`?`), numbered (`?1`, `?2`, …) as the ones written out here. */
const numbered = (sql: string): string => {
  let k = 0;
  return sql.replace(/\?/g, () => `?${++k}`);
};

interface HotQuery {
  name: string;
  where: string;
  sql: string;
  params: unknown[];
  /** Run with sequential scans off (PostgreSQL): for tables the bulk data leaves empty. */
  noSeqScan?: boolean;
  /** A statement the service sends on SQLite only (PostgreSQL sends the batched form below it). */
  sqliteOnly?: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeded: { type: 'string' }, 'seeded-schema': { type: 'string' } } });
  if (!values.seeded) throw new Error('--seeded <url> is required');
  const db = await openSeeded(values.seeded, values['seeded-schema']);
  const pg = db.kind === 'postgres';
  const p = (i: number) => (pg ? `$${i}` : `?${i}`);
  // The page's total, the expression AuditQueryService sends.
  const total = (user: number, action?: number) => auditTotalSql(p(user), action ? p(action) : null);
  // SQLite: numbered placeholders become named ones (better-sqlite3 binds an object to them).
  const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    pg || !params.length
      ? db.query<T>(sql, params)
      : db.query<T>(sql.replace(/\?(\d+)/g, '@p$1'), [Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]))]);
  const ts = (d: Date) => (pg ? d.toISOString() : d.toISOString().replace('T', ' ').slice(0, 23));
  try {
    const [{ n }] = await query<{ n: string | number }>('SELECT count(*) AS n FROM users');
    const users = Number(n);
    const middle = `bulk-user-${Math.floor(users / 2)}@example.com`;
    const [sample] = await query<{ user_id: string; session_id: string; ip_index: string }>(
      `SELECT u.id AS user_id, s.id AS session_id, s.ip_index FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.email = ${p(1)} LIMIT 1`,
      [middle],
    );
    // The session ids of one event-loop turn of token checks (SessionService.liveBatch, at most 64).
    const turn = (await query<{ id: string }>(`SELECT id FROM sessions ORDER BY id LIMIT 50 OFFSET ${Math.floor(users / 2)}`)).map((r) => r.id);
    const [long] = await query<{ id: string }>(`SELECT id FROM users WHERE email = ${p(1)}`, ['bulk-user-0@example.com']);
    // A cursor half-way down the long log (the row at offset 2500), and one in the USER_LOGIN-only list.
    const [mid] = await query<{ created_at: string | Date; id: string }>(
      `SELECT created_at, id FROM audit_logs WHERE user_id = ${p(1)} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 2500`,
      [long.id],
    );
    const [midAction] = await query<{ created_at: string | Date; id: string }>(
      `SELECT created_at, id FROM audit_logs WHERE user_id = ${p(1)} AND action = ${p(2)} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 1000`,
      [long.id, 'USER_LOGIN'],
    );
    // For the batched pages: a cursor near the top of the long log, and another short log.
    const [first] = await query<{ created_at: string | Date; id: string }>(
      `SELECT created_at, id FROM audit_logs WHERE user_id = ${p(1)} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 50`,
      [long.id],
    );
    const [middleUser] = await query<{ id: string }>(`SELECT id FROM users WHERE email = ${p(1)}`, [`bulk-user-${Math.floor(users / 3)}@example.com`]);
    const now = ts(new Date());
    const asTs = (v: string | Date) => (v instanceof Date ? ts(v) : v);
    const queries: HotQuery[] = [
      {
        name: "session + user + the user's entitlements (users.entitlements_json) by session id (every authenticated request; /me, /verify, /connect/check answer from it)",
        where: 'SessionService.findLive',
        sql: `SELECT s.*, u.* FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE s.id = ${p(1)}`,
        params: [sample.session_id],
      },
      {
        name: 'the same for the token checks of one event-loop turn (50 session ids; outside a transaction this is the one sent)',
        where: 'SessionService.liveBatch',
        sql: pg
          ? `SELECT s.*, u.* FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE s.id = ANY($1::uuid[])`
          : `SELECT s.*, u.* FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE s.id IN (SELECT value FROM json_each(?1))`,
        params: [pg ? turn : JSON.stringify(turn)],
      },
      {
        name: "an entitlement write's refresh of its user's entitlements_json (the triggers on service_entitlements; PostgreSQL: rolled back)",
        where: 'migration UserEntitlementsJson',
        sql: `UPDATE users SET entitlements_json = (${entitlementsOf('users', pg)}) WHERE id = ${p(1)}`,
        params: [sample.user_id],
      },
      {
        name: 'entitlements by user (login answer)',
        where: 'AuthService.complete',
        sql: `SELECT * FROM service_entitlements e WHERE e.user_id = ${p(1)} ORDER BY e.created_at ASC`,
        params: [sample.user_id],
      },
      {
        name: 'user by email (login)',
        where: 'AuthService.attemptLogin',
        sql: `SELECT * FROM users u WHERE u.email = ${p(1)} LIMIT 1`,
        params: [middle],
      },
      {
        name: 'live session of the same user and IP (login)',
        where: 'SessionService.issue',
        sql: `SELECT * FROM sessions s WHERE s.user_id = ${p(1)} AND s.ip_index = ${p(2)} AND s.expires_at > ${p(3)} ORDER BY s.created_at DESC LIMIT 1`,
        params: [sample.user_id, sample.ip_index, now],
      },
      {
        name: 'audit page, first (limit 50 + 1, with its total)',
        where: 'AuditQueryService.list (SQLite; PostgreSQL batches its pages)',
        sqliteOnly: true,
        sql: numbered(auditPageSqliteSql(false, false)),
        params: [long.id, long.id, 51, 0],
      },
      {
        name: 'audit page by cursor at depth 2,500 of 5,000',
        where: 'AuditQueryService.list (SQLite; PostgreSQL batches its pages)',
        sqliteOnly: true,
        sql: numbered(auditPageSqliteSql(false, true)),
        params: [long.id, long.id, asTs(mid.created_at), mid.id, 51, 0],
      },
      {
        name: 'audit page by cursor with action filter (depth 1,000 of the USER_LOGIN events)',
        where: 'AuditQueryService.list (SQLite; PostgreSQL batches its pages)',
        sqliteOnly: true,
        sql: numbered(auditPageSqliteSql(true, true)),
        params: [long.id, 'USER_LOGIN', long.id, 'USER_LOGIN', asTs(midAction.created_at), midAction.id, 51, 0],
      },
      // PostgreSQL answers the pages of one event-loop turn with one statement per kind of page
      // (AuditQueryService, auditPageBatchSql): here four pages of a 50-connection load, the long
      // log's at two depths and two 20-event logs (one of them past its end).
      ...(pg
        ? [
            {
              name: 'audit pages of one turn (PostgreSQL): four by cursor, the long log at depths 2,500 and 50 and two short logs',
              where: 'AuditQueryService.list (batched)',
              sql: auditPageBatchSql(false, true),
              params: [[long.id, long.id, sample.user_id, middleUser.id], [asTs(mid.created_at), asTs(first.created_at), now, now], [mid.id, first.id, sample.user_id, middleUser.id], [51, 51, 51, 51], [0, 0, 0, 0]],
            },
            {
              name: 'audit pages of one turn (PostgreSQL), action filter, by offset: two of the long log, one past the end of a short log',
              where: 'AuditQueryService.list (batched)',
              sql: auditPageBatchSql(true, false),
              params: [[long.id, long.id, sample.user_id], ['USER_LOGIN', 'USER_LOGIN', 'USER_LOGIN'], [51, 51, 51], [0, 500, 100]],
            },
          ]
        : []),
      {
        name: 'audit total of the long log (audit_log_totals, one row per action)',
        where: 'AuditQueryService.list',
        sql: `SELECT ${total(1)} AS n`,
        params: [long.id],
      },
      {
        name: 'audit total with action filter',
        where: 'AuditQueryService.list',
        sql: `SELECT ${total(1, 2)} AS n`,
        params: [long.id, 'USER_LOGIN'],
      },
      {
        name: 'outbox: claim the next due row (the bulk data has none: plan with seq scans off)',
        where: 'CancellationOutboxWorker.claim',
        sql: pg
          ? `SELECT * FROM cancellation_outbox o WHERE o.status = $1 AND o.next_attempt_at <= $2 AND (o.claimed_until IS NULL OR o.claimed_until < $2) ORDER BY o.next_attempt_at ASC LIMIT 1 FOR UPDATE SKIP LOCKED`
          : `UPDATE cancellation_outbox SET claimed_by = 'x' WHERE id = (SELECT d.id FROM cancellation_outbox d WHERE d.status = ?1 AND d.next_attempt_at <= ?2 AND (d.claimed_until IS NULL OR d.claimed_until < ?2) ORDER BY d.next_attempt_at ASC LIMIT 1)`,
        params: ['pending', now],
        noSeqScan: true,
      },
    ];
    console.log(`Plans on ${db.kind}, ${users} users (${values['seeded-schema'] ?? values.seeded.replace(/\/\/[^@/]*@/, '//')})\n`);
    for (const q of queries) {
      if (pg && q.sqliteOnly) continue;
      let plan: string;
      if (pg) {
        if (q.noSeqScan) await query('SET enable_seqscan = off');
        // ANALYZE runs the statement: the FOR UPDATE claim inside a transaction rolled back.
        await query('BEGIN');
        try {
          const rows = await query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params);
          plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await query('ROLLBACK');
          if (q.noSeqScan) await query('SET enable_seqscan = on');
        }
      } else {
        const rows = await query<{ id: number; parent: number; detail: string }>(`EXPLAIN QUERY PLAN ${q.sql}`, q.params);
        const depth = new Map<number, number>();
        plan = rows
          .map((r) => {
            const d = (depth.get(r.parent) ?? -1) + 1;
            depth.set(r.id, d);
            return `${'  '.repeat(d)}${r.detail}`;
          })
          .join('\n');
      }
      console.log(`#### ${q.name}\n\n\`${q.where}\`\n\n\`\`\`\n${plan}\n\`\`\`\n`);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
