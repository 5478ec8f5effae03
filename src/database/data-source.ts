import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseSettings } from '../config/configuration';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * Another process holds the SQLite file: a running NullPass keeps it for as long as it
 * runs (SQLITE_LOCKING=exclusive). Said in one line, at once, not retried.
 */
export class DatabaseInUseError extends Error {
  constructor(location: string) {
    super(
      `The SQLite database ${location} is in use by another process (a running NullPass holds it while SQLITE_LOCKING=exclusive, the default): ` +
        'stop that process first, or run both with SQLITE_LOCKING=normal',
    );
  }
}

/**
 * Before Nest starts (whose module loader would print the failure with a stack): is the
 * SQLite file free? One line naming the file and what to do, instead.
 */
export function assertDatabaseAvailable(settings: DatabaseSettings): void {
  if (settings.kind !== 'sqlite' || settings.location === ':memory:' || !existsSync(settings.location)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as new (file: string, options: { timeout: number }) => SqliteProbe;
  const db = new Database(settings.location, { timeout: 5000 });
  try {
    prepareSqlite(db, settings);
  } finally {
    db.close();
  }
}

interface SqliteProbe {
  pragma(s: string): unknown;
  close(): void;
}

/** The connection settings of every SQLite connection; the first access waits busy_timeout for a lock. */
function prepareSqlite(db: { pragma(s: string): unknown }, settings: DatabaseSettings): void {
  if (settings.sqliteLocking === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('busy_timeout = 5000');
  try {
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DatabaseInUseError(settings.location);
    throw error;
  }
  // After the first access (which tells "in use by another process"): better-sqlite3 builds
  // SQLite with a 16 MB page cache per connection; the operating system caches the file as
  // well, so 8 MB keeps the hot index pages in process for less memory.
  db.pragma('cache_size = -8000');
}

/** TypeORM options for either database. `synchronize` is never on: migrations only. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    // A row read from the database becomes an entity without running its constructor, whose
    // field initialisers would only be overwritten (each entity's `id = randomUUID()` drew 16
    // random bytes for every row of every read, twice per token check). create() still runs it.
    entitySkipConstructor: true,
    migrationsTableName: 'migrations',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
  } as const;
  if (settings.kind === 'sqlite') {
    if (settings.location !== ':memory:') mkdirSync(dirname(settings.location), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: settings.location,
      enableWAL: true,
      // Foreign keys are on by default in TypeORM's better-sqlite3 driver; WAL lets
      // readers proceed while the single writer commits. Exclusive locking is set before
      // the first access, so the WAL index lives in the process, not in a shared file, and
      // a statement takes no file lock (DatabaseSettings.sqliteLocking).
      prepareDatabase: (db: { pragma(s: string): unknown }) => prepareSqlite(db, settings),
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: settings.location,
    schema: settings.schema,
    extra: {
      max: settings.poolSize,
      connectionTimeoutMillis: 5000,
      // A schema chosen per test run or per deployment is searched first.
      ...(settings.schema ? { options: `-c search_path=${settings.schema}` } : {}),
    },
  };
}

const MIGRATION_LOCK_KEY = 741_852_963; // any constant shared by every instance

/**
 * Runs pending migrations. On PostgreSQL several instances may start at once, so the
 * run is serialised by an advisory lock (as Immich does before migrating).
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
