import { databaseKindFromEnv } from '../config/configuration';
import type { ColumnType } from 'typeorm';

/**
 * SQLite and PostgreSQL name timestamps and JSON differently. Entities and migrations
 * both take their types from here, so one migration file serves both databases and the
 * drift test compares like with like.
 */
export function columnTypesFor(kind: 'sqlite' | 'postgres' | string) {
  const postgres = kind === 'postgres';
  return {
    timestamp: (postgres ? 'timestamptz' : 'datetime') as ColumnType,
    json: (postgres ? 'jsonb' : 'simple-json') as ColumnType,
    /** simple-json is stored as text in SQLite; migrations create it as text. */
    jsonDdl: postgres ? 'jsonb' : 'text',
    uuid: (postgres ? 'uuid' : 'varchar') as ColumnType,
    uuidLength: postgres ? undefined : '36',
    /** How each database spells a boolean DEFAULT (as TypeORM compares them). */
    boolDefault: (value: boolean) => (postgres ? value : value ? 1 : 0),
  };
}

export const Col = columnTypesFor(databaseKindFromEnv());

/**
 * A JSON object column. (`Record<string, unknown>` does not satisfy TypeORM's
 * QueryDeepPartialEntity, so the values are typed loosely here and nowhere else.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;
