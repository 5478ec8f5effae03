/**
 * `npm run seed:bulk -- --users N [--db postgres] [--database-url URL] [--schema S]`
 *
 * Fills a database through the real schema (the migrations run first) for the scale
 * benchmarks (issue 8): N users sharing one precomputed password hash, 5 live sessions,
 * 3 entitlements and 20 audit events each, and one user (bulk-user-0) with a long audit
 * log. Rows go in with multi-row INSERTs in large transactions, not through the API:
 * PostgreSQL gets `INSERT … SELECT FROM unnest($1::uuid[], …)`, SQLite prepared
 * multi-row VALUES statements.
 *
 * The sessions are real: jti_hash = sha256(DataProtector.jtiFor(sessionId)), IPs sealed
 * with IP_ENCRYPTION_KEY, expiry in the future. So an app started on the same database
 * with the same IP_ENCRYPTION_KEY accepts a token minted for any of them (any JWT_SECRET:
 * the token is signed with whatever the app is given), and `bulk-user-<i>@example.com`
 * logs in with the seed password.
 *
 * A development tool: refused with NODE_ENV=production. Settings come from the same
 * configuration as the app (DATABASE_URL, DATABASE_SCHEMA, IP_ENCRYPTION_KEY,
 * BCRYPT_ROUNDS, SESSION_EXPIRES_DAYS); the flags override the first two.
 *
 * Nothing here imports an entity at module load: entity column types follow DATABASE_URL
 * when first imported, so the CLI sets the flags' database before loading them.
 */
import '../config/load-env';
import * as bcrypt from 'bcrypt';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { DataSource, QueryRunner } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { DataProtector } from '../common/crypto/data-protector';
import { sha256Hex } from '../common/crypto/hash';
import { SERVICES } from '../common/services';
import { prehash } from '../auth/password.service';

/** The password of every bulk user (test data: printed, never a secret). */
export const BULK_PASSWORD = 'bulk-Password-1234';
export const bulkEmail = (i: number): string => `bulk-user-${i}@example.com`;

export interface SeedBulkOptions {
  users: number;
  sessionsPerUser?: number;
  entitlementsPerUser?: number;
  eventsPerUser?: number;
  /** Audit events of bulk-user-0 (a long log for paging at depth); ≤ eventsPerUser = none extra. */
  longLog?: number;
  password?: string;
  /** bcrypt cost of the one hash every user shares. */
  bcryptRounds: number;
  /** Session lifetime (SESSION_EXPIRES_DAYS) in days. */
  sessionDays: number;
  /** Users per transaction. */
  batchUsers?: number;
  /** Transactions at once (PostgreSQL only; SQLite has one writer). */
  jobs?: number;
  now?: Date;
  log?: (line: string) => void;
}

export interface SeedBulkReport {
  users: number;
  rows: { users: number; sessions: number; entitlements: number; auditLogs: number; total: number };
  seconds: number;
  rowsPerSecond: number;
  password: string;
}

type Kind = 'uuid' | 'text' | 'ts' | 'json' | 'bool' | 'int';
type Value = string | number | boolean | Date | null;

/** One table's rows as column arrays (varying columns) plus constants. */
interface TableBatch {
  table: string;
  columns: Array<{ name: string; kind: Kind; values: Value[] }>;
  constants: Array<{ name: string; kind: Kind; value: Value }>;
}

const EVENT_ACTIONS = ['USER_LOGIN', 'SESSION_CREATE', 'USER_LOGIN', 'USER_UPDATE', 'USER_LOGIN', 'SERVICE_ACCESS_GRANT', 'PASSWORD_CHANGE'] as const;
const DAY_MS = 86_400_000;

/**
 * The writer of one database kind. Both take whole batches; each batch is one
 * transaction (the caller groups the tables of a user chunk into one).
 */
interface BulkWriter {
  transaction(batches: TableBatch[]): Promise<void>;
}

function postgresWriter(ds: DataSource): BulkWriter {
  const MAX_ROWS = 10_000;
  const arrayType: Record<Kind, string> = { uuid: 'uuid[]', text: 'text[]', ts: 'timestamptz[]', json: 'text[]', bool: 'bool[]', int: 'int[]' };
  const scalarType: Record<Kind, string> = { uuid: 'uuid', text: 'text', ts: 'timestamptz', json: 'jsonb', bool: 'boolean', int: 'integer' };
  const q = (name: string) => `"${name}"`;
  const value = (kind: Kind, v: Value): Value => (v instanceof Date ? v.toISOString() : kind === 'json' && v !== null ? String(v) : v);
  const insert = async (runner: QueryRunner, b: TableBatch, from: number, to: number): Promise<void> => {
    const params: unknown[] = [];
    const unnest: string[] = [];
    const select: string[] = [];
    b.columns.forEach((c, i) => {
      params.push(c.values.slice(from, to).map((v) => value(c.kind, v)));
      unnest.push(`$${params.length}::${arrayType[c.kind]}`);
      select.push(c.kind === 'json' ? `t.c${i}::jsonb` : `t.c${i}`);
    });
    for (const c of b.constants) {
      params.push(value(c.kind, c.value));
      select.push(`$${params.length}::${scalarType[c.kind]}`);
    }
    const names = [...b.columns, ...b.constants].map((c) => q(c.name)).join(', ');
    const alias = b.columns.map((_, i) => `c${i}`).join(', ');
    await runner.query(`INSERT INTO ${q(b.table)} (${names}) SELECT ${select.join(', ')} FROM unnest(${unnest.join(', ')}) AS t(${alias})`, params);
  };
  return {
    async transaction(batches) {
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        // Losing the last transaction on a crash is fine for generated data.
        await runner.query('SET synchronous_commit = off');
        await runner.startTransaction();
        for (const b of batches) {
          const rows = b.columns[0].values.length;
          for (let from = 0; from < rows; from += MAX_ROWS) await insert(runner, b, from, Math.min(rows, from + MAX_ROWS));
        }
        await runner.commitTransaction();
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      } finally {
        await runner.release();
      }
    },
  };
}

interface SqliteHandle {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction(fn: () => void): () => void;
}

function sqliteWriter(ds: DataSource): BulkWriter {
  const db = (ds.driver as unknown as { databaseConnection: SqliteHandle }).databaseConnection;
  const statements = new Map<string, { run(...params: unknown[]): unknown }>();
  const q = (name: string) => `"${name}"`;
  // As TypeORM writes them: datetime as a UTC "YYYY-MM-DD HH:mm:ss.SSS" string, booleans 1/0.
  const value = (v: Value): Value => (v instanceof Date ? DateUtils.mixedDateToUtcDatetimeString(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v);
  const statement = (b: TableBatch, rows: number) => {
    const names = [...b.columns, ...b.constants].map((c) => q(c.name));
    const key = `${b.table}|${names.join(',')}|${rows}`;
    let st = statements.get(key);
    if (!st) {
      const tuple = `(${names.map(() => '?').join(', ')})`;
      st = db.prepare(`INSERT INTO ${q(b.table)} (${names.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}`);
      statements.set(key, st);
    }
    return st;
  };
  return {
    async transaction(batches) {
      db.transaction(() => {
        for (const b of batches) {
          const width = b.columns.length + b.constants.length;
          const per = Math.max(1, Math.min(500, Math.floor(30_000 / width)));
          const rows = b.columns[0].values.length;
          const constants = b.constants.map((c) => value(c.value));
          for (let from = 0; from < rows; from += per) {
            const to = Math.min(rows, from + per);
            const params: Value[] = [];
            for (let r = from; r < to; r++) {
              for (const c of b.columns) params.push(value(c.values[r]));
              params.push(...constants);
            }
            statement(b, to - from).run(...params);
          }
        }
      })();
    },
  };
}

/**
 * Checks the batches against the schema the migrations built (TypeORM's metadata of the
 * same tables): every column named exists, and every NOT NULL column without a default
 * is given. A schema change the seeder does not know stops it with a clear message.
 */
function checkAgainstSchema(ds: DataSource, batches: TableBatch[]): void {
  for (const b of batches) {
    const meta = ds.entityMetadatas.find((m) => m.tableName === b.table);
    if (!meta) throw new Error(`seed-bulk: no entity for table ${b.table}`);
    const given = new Set([...b.columns, ...b.constants].map((c) => c.name));
    for (const name of given) {
      if (!meta.columns.some((c) => c.databaseName === name)) throw new Error(`seed-bulk: ${b.table}.${name} is not in the schema`);
    }
    for (const c of meta.columns) {
      if (!given.has(c.databaseName) && !c.isNullable && c.default === undefined) {
        throw new Error(`seed-bulk: ${b.table}.${c.databaseName} is required by the schema and not generated here`);
      }
    }
  }
}

/** Seeds `options.users` users (see the file comment) into a migrated database. */
export async function seedBulk(ds: DataSource, protector: DataProtector, options: SeedBulkOptions): Promise<SeedBulkReport> {
  const postgres = ds.options.type === 'postgres';
  const log = options.log ?? (() => undefined);
  const n = options.users;
  const sessionsPerUser = options.sessionsPerUser ?? 5;
  const entitlementsPerUser = Math.min(options.entitlementsPerUser ?? 3, SERVICES.length);
  const eventsPerUser = options.eventsPerUser ?? 20;
  const longLog = Math.max(options.longLog ?? 5000, eventsPerUser);
  const batchUsers = options.batchUsers ?? (postgres ? 2000 : 1000);
  const jobs = postgres ? Math.max(1, options.jobs ?? 2) : 1;
  const password = options.password ?? BULK_PASSWORD;
  const nowMs = (options.now ?? new Date()).getTime();
  const lifetimeMs = options.sessionDays * DAY_MS;

  const existing = (await ds.query(`SELECT count(*) AS n FROM users WHERE email = ${postgres ? '$1' : '?'}`, [bulkEmail(0)])) as Array<{ n: string | number }>;
  if (Number(existing[0]?.n ?? 0) > 0) {
    throw new Error(`seed-bulk: ${bulkEmail(0)} already exists: seed a fresh database (or --schema)`);
  }

  // One hash for everyone, in PasswordService's scheme: bcrypt(base64(sha256(password))).
  const passwordHash = await bcrypt.hash(prehash(password), options.bcryptRounds);
  // A few distinct client addresses; each session seals its own (a fresh IV), as the app does.
  const ips = Array.from({ length: 8 }, (_, i) => `198.51.100.${10 + i}`).map((ip) => ({ ip, index: protector.ipIndex(ip) }));
  const staticData: Record<string, string> = {
    USER_UPDATE: JSON.stringify({ fields: ['displayName'] }),
    SERVICE_ACCESS_GRANT: JSON.stringify({ service: 'DROP', tier: 'free' }),
    PASSWORD_CHANGE: JSON.stringify({}),
  };
  const services = SERVICES.slice(0, entitlementsPerUser);

  const chunk = (start: number, end: number): TableBatch[] => {
    const count = end - start;
    const users: TableBatch = {
      table: 'users',
      columns: [
        { name: 'id', kind: 'uuid', values: [] },
        { name: 'email', kind: 'text', values: [] },
        { name: 'display_name', kind: 'text', values: [] },
        { name: 'created_at', kind: 'ts', values: [] },
        { name: 'updated_at', kind: 'ts', values: [] },
      ],
      constants: [
        { name: 'password_hash', kind: 'text', value: passwordHash },
        { name: 'role', kind: 'text', value: 'user' },
        { name: 'two_factor_enabled', kind: 'bool', value: false },
        { name: 'last_totp_step', kind: 'int', value: 0 },
        { name: 'banned', kind: 'bool', value: false },
        { name: 'disabled', kind: 'bool', value: false },
        { name: 'custom_domain_verified', kind: 'bool', value: false },
      ],
    };
    const sessions: TableBatch = {
      table: 'sessions',
      columns: ['id', 'user_id', 'jti_hash', 'ip_encrypted', 'ip_index', 'created_at', 'last_used_at', 'expires_at'].map((name) => ({
        name,
        kind: (name.endsWith('id') ? 'uuid' : name.endsWith('_at') ? 'ts' : 'text') as Kind,
        values: [],
      })),
      constants: [{ name: 'user_agent', kind: 'text', value: 'nullpass-seed-bulk' }],
    };
    const entitlements: TableBatch = {
      table: 'service_entitlements',
      columns: [
        { name: 'id', kind: 'uuid', values: [] },
        { name: 'user_id', kind: 'uuid', values: [] },
        { name: 'service', kind: 'text', values: [] },
        { name: 'created_at', kind: 'ts', values: [] },
        { name: 'updated_at', kind: 'ts', values: [] },
      ],
      constants: [
        { name: 'tier', kind: 'text', value: 'free' },
        { name: 'is_premium', kind: 'bool', value: false },
        { name: 'connected', kind: 'bool', value: true },
      ],
    };
    const audit: TableBatch = {
      table: 'audit_logs',
      columns: [
        { name: 'id', kind: 'uuid', values: [] },
        { name: 'user_id', kind: 'uuid', values: [] },
        { name: 'actor_id', kind: 'uuid', values: [] },
        { name: 'action', kind: 'text', values: [] },
        { name: 'data', kind: 'json', values: [] },
        { name: 'created_at', kind: 'ts', values: [] },
      ],
      constants: [],
    };
    const push = (b: TableBatch, row: Value[]) => row.forEach((v, i) => b.columns[i].values.push(v));
    for (let k = 0; k < count; k++) {
      const i = start + k;
      const userId = randomUUID();
      // Accounts from the last year; everything of a user happens after it was created.
      // bulk-user-0's long log spans the whole year.
      const createdMs = nowMs - DAY_MS - (i === 0 ? 364 * DAY_MS : ((i * 7919) % (364 * 24)) * 3_600_000);
      push(users, [userId, bulkEmail(i), `Bulk User ${i}`, new Date(createdMs), new Date(createdMs)]);
      for (let s = 0; s < sessionsPerUser; s++) {
        const id = randomUUID();
        const ip = ips[(i + s) % ips.length];
        // Logged in within the last day: live for (lifetime − up to a day).
        const at = nowMs - (s + 1) * 3_600_000 - (i % 3600) * 1000;
        const atDate = new Date(at);
        push(sessions, [id, userId, sha256Hex(protector.jtiFor(id)), protector.seal(ip.ip), ip.index, atDate, atDate, new Date(Math.max(at + lifetimeMs, nowMs + 3_600_000))]);
      }
      for (const service of services) push(entitlements, [randomUUID(), userId, service, new Date(createdMs), new Date(createdMs)]);
      const events = i === 0 ? longLog : eventsPerUser;
      const step = Math.max(1, Math.floor((nowMs - 60_000 - createdMs) / (events + 1)));
      // The events with an IP come from the session of their time: one per session lifetime
      // (a login after it made a new session), whose sealed IP they share, as the app's events
      // do (SessionService.sealedIp). Long-ago sessions are gone; their events stay.
      const windows = new Map<number, { ip: string; sessionId: string }>();
      const sessionAt = (atMs: number) => {
        const w = Math.floor((atMs - createdMs) / lifetimeMs);
        let session = windows.get(w);
        if (!session) {
          session = { ip: protector.seal(ips[(i + w) % ips.length].ip), sessionId: randomUUID() };
          windows.set(w, session);
        }
        return session;
      };
      for (let e = 0; e < events; e++) {
        const action = EVENT_ACTIONS[(i + e) % EVENT_ACTIONS.length];
        const at = createdMs + (e + 1) * step;
        const data =
          action === 'USER_LOGIN'
            ? JSON.stringify({ ip: sessionAt(at).ip, twoFactorUsed: false })
            : action === 'SESSION_CREATE'
              ? JSON.stringify(sessionAt(at))
              : staticData[action];
        push(audit, [randomUUID(), userId, userId, action, data, new Date(at)]);
      }
    }
    return [users, sessions, entitlements, audit];
  };

  const writer = postgres ? postgresWriter(ds) : sqliteWriter(ds);
  checkAgainstSchema(ds, chunk(0, 0));
  const totals = { users: 0, sessions: 0, entitlements: 0, auditLogs: 0, total: 0 };
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  let lastLog = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const start = next;
      const end = Math.min(n, start + batchUsers);
      next = end;
      const batches = chunk(start, end);
      await writer.transaction(batches);
      const [u, s, e, a] = batches.map((b) => b.columns[0].values.length);
      totals.users += u;
      totals.sessions += s;
      totals.entitlements += e;
      totals.auditLogs += a;
      totals.total += u + s + e + a;
      if (elapsed() - lastLog >= 5 || totals.users === n) {
        lastLog = elapsed();
        log(`  ${totals.users}/${n} users, ${totals.total} rows, ${Math.round(totals.total / elapsed())} rows/s`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.ceil(n / batchUsers)) }, worker));
  const seconds = elapsed();
  return { users: n, rows: totals, seconds, rowsPerSecond: totals.total / seconds, password };
}

const USAGE = `Usage: npm run seed:bulk -- --users N [options]

  --users <n>            users to create (bulk-user-0 … bulk-user-<n-1>@example.com)
  --db sqlite|postgres   which database (default: the kind of DATABASE_URL)
  --database-url <url>   sqlite:<file> or postgres://… (default DATABASE_URL; with --db postgres
                         and no URL: postgres://postgres@127.0.0.1:5432/test)
  --schema <name>        PostgreSQL schema (created if missing; default DATABASE_SCHEMA)
  --sessions <n>         sessions per user (default 5)
  --entitlements <n>     entitlements per user (default 3, at most ${SERVICES.length})
  --events <n>           audit events per user (default 20)
  --long-log <n>         audit events of bulk-user-0 (default 5000)
  --batch-users <n>      users per transaction (default 2000 on PostgreSQL, 1000 on SQLite)
  --jobs <n>             transactions at once on PostgreSQL (default 2)
  --no-vacuum            PostgreSQL: skip the VACUUM ANALYZE at the end

IP_ENCRYPTION_KEY must be set, and the app serving the database must use the same one (the
sessions' token ids and sealed IPs derive from it). BCRYPT_ROUNDS sets the cost of the shared
password hash (default 12). Every user's password is "${BULK_PASSWORD}".`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    strict: true,
    options: {
      users: { type: 'string' },
      db: { type: 'string' },
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      sessions: { type: 'string' },
      entitlements: { type: 'string' },
      events: { type: 'string' },
      'long-log': { type: 'string' },
      'batch-users': { type: 'string' },
      jobs: { type: 'string' },
      'no-vacuum': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const whole = (name: string, raw: string | undefined, fallback: number | undefined, min = 0): number => {
    if (raw === undefined) {
      if (fallback === undefined) throw new Error(`--${name} is required`);
      return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${raw}")`);
    return Number(raw);
  };
  const users = whole('users', values.users, undefined, 1);

  // The flags become the settings the configuration parses (entities read DATABASE_URL when loaded).
  // eslint-disable-next-line no-restricted-properties
  const env = process.env;
  if (values.db !== undefined && values.db !== 'sqlite' && values.db !== 'postgres') throw new Error('--db must be sqlite or postgres');
  if (values['database-url']) env.DATABASE_URL = values['database-url'];
  else if (values.db === 'postgres' && !env.DATABASE_URL?.startsWith('postgres')) env.DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
  if (values.schema) env.DATABASE_SCHEMA = values.schema;

  const config = await import('../config/configuration');
  if (config.isProduction()) throw new Error('seed-bulk refuses NODE_ENV=production: it fills a database with generated accounts');
  const db = config.databaseConfig();
  if (values.db && values.db !== db.kind) throw new Error(`--db ${values.db} does not match the database URL (${db.kind})`);
  const security = config.securityConfig();
  if (config.configWarnings().some((w) => w.startsWith('IP_ENCRYPTION_KEY'))) {
    throw new Error('IP_ENCRYPTION_KEY is not set: set it, and start the app on this database with the same value');
  }
  if (db.kind === 'postgres' && db.schema) {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: db.location });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }
  const { DataSource } = await import('typeorm');
  const { buildDataSourceOptions, runMigrations } = await import('./data-source');
  const ds = await new DataSource(buildDataSourceOptions(db)).initialize();
  try {
    const applied = await runMigrations(ds);
    const where = db.kind === 'postgres' ? `${db.location.replace(/\/\/[^@/]*@/, '//')}${db.schema ? ` schema ${db.schema}` : ''}` : db.location;
    console.log(`seed-bulk: ${where}${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);
    const options: SeedBulkOptions = {
      users,
      sessionsPerUser: whole('sessions', values.sessions, 5),
      entitlementsPerUser: whole('entitlements', values.entitlements, 3),
      eventsPerUser: whole('events', values.events, 20),
      longLog: whole('long-log', values['long-log'], 5000),
      batchUsers: values['batch-users'] === undefined ? undefined : whole('batch-users', values['batch-users'], undefined, 1),
      jobs: values.jobs === undefined ? undefined : Math.min(whole('jobs', values.jobs, undefined, 1), db.poolSize),
      bcryptRounds: security.bcryptRounds,
      sessionDays: security.sessionExpiresDays,
      log: (line) => console.log(line),
    };
    console.log(
      `seed-bulk: ${users} users × (${options.sessionsPerUser} sessions, ${options.entitlementsPerUser} entitlements, ` +
        `${options.eventsPerUser} audit events); ${bulkEmail(0)} gets ${options.longLog}; bcrypt cost ${options.bcryptRounds}`,
    );
    const report = await seedBulk(ds, new DataProtector(security), options);
    console.log(
      `seed-bulk: ${report.rows.total} rows (users ${report.rows.users}, sessions ${report.rows.sessions}, ` +
        `entitlements ${report.rows.entitlements}, audit_logs ${report.rows.auditLogs}) in ${report.seconds.toFixed(1)} s = ` +
        `${Math.round(report.rowsPerSecond)} rows/s`,
    );
    if (db.kind === 'postgres' && !values['no-vacuum']) {
      const t0 = Date.now();
      await ds.query('VACUUM (ANALYZE) users, sessions, service_entitlements, audit_logs, audit_log_totals');
      console.log(`seed-bulk: VACUUM ANALYZE in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    console.log(`seed-bulk: every user's password is "${report.password}"`);
  } finally {
    await ds.destroy();
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
