import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DbKind } from './options';
import { onCleanup } from './processes';

export interface BenchDatabase {
  kind: DbKind;
  /** DATABASE_URL (and DATABASE_SCHEMA) for the app. */
  env: Record<string, string>;
  /** Removes the SQLite directory or drops the PostgreSQL schema. */
  dispose(): Promise<void>;
}

/** A fresh, empty database: a new SQLite file in a temp dir, or a new PostgreSQL schema. */
export async function freshDatabase(kind: DbKind, postgresUrl: string, label: string): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `nullpass-bench-${label}-`));
    const dispose = async (): Promise<void> => rmSync(dir, { recursive: true, force: true });
    const unregister = onCleanup(dispose);
    return {
      kind,
      env: { DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}` },
      dispose: async () => {
        unregister();
        await dispose();
      },
    };
  }
  const schema = `bench_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withClient(postgresUrl, (c) => c.query(`CREATE SCHEMA "${schema}"`));
  const dispose = async (): Promise<void> => {
    await withClient(postgresUrl, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  };
  const unregister = onCleanup(dispose);
  return {
    kind,
    env: { DATABASE_URL: postgresUrl, DATABASE_SCHEMA: schema },
    dispose: async () => {
      unregister();
      await dispose();
    },
  };
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 30_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A database filled by `npm run seed:bulk` (--seeded): read for setup, never dropped. */
export interface SeededDatabase {
  kind: DbKind;
  env: Record<string, string>;
  /** A read for setup (`?` placeholders on SQLite, `$1` on PostgreSQL). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The file a `sqlite:` URL names (`sqlite:///abs` and `sqlite:/abs` alike). */
function sqliteFileOf(url: string): string {
  return url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
}

/** The app's database settings for a seeded database: what `openSeeded` reads is what the app then uses. */
export function seededEnv(url: string, schema: string | undefined): Record<string, string> {
  if (url.startsWith('sqlite:')) return { DATABASE_URL: `sqlite:${sqliteFileOf(url)}` };
  return { DATABASE_URL: url, ...(schema ? { DATABASE_SCHEMA: schema } : {}) };
}

export async function openSeeded(url: string, schema: string | undefined): Promise<SeededDatabase> {
  if (url.startsWith('sqlite:')) {
    const file = sqliteFileOf(url);
    if (!existsSync(file)) throw new Error(`--seeded ${url}: no such file (npm run seed:bulk -- --users N --database-url ${url})`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as new (f: string, o: { readonly: boolean }) => {
      prepare(sql: string): { all(...p: unknown[]): unknown[] };
      close(): void;
    };
    const db = new Database(file, { readonly: true });
    return {
      kind: 'sqlite',
      env: seededEnv(url, schema),
      query: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
      close: async () => db.close(),
    };
  }
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  const close = onCleanup(() => client.end());
  return {
    kind: 'postgres',
    env: seededEnv(url, schema),
    query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    close: async () => {
      close();
      await client.end();
    },
  };
}
