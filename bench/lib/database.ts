import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
