import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseSettings } from '../config/configuration';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** TypeORM options for either database. `synchronize` is never on: migrations only. */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
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
      // readers proceed while the single writer commits.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('synchronous = NORMAL');
      },
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
