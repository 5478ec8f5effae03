import type { DataSource, EntityManager } from 'typeorm';
import { pgTimestamptz } from './timestamps';

type Row = Record<string, unknown>;
interface SqliteStatement {
  all(...params: unknown[]): unknown[];
  raw(toggle: boolean): SqliteStatement;
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
interface PgTypes {
  getTypeParser(oid: number, format?: string): (raw: string) => unknown;
}
interface PgPool {
  query(config: { name: string; text: string; values: unknown[]; rowMode?: 'array'; types: PgTypes }): Promise<{ rows: unknown[] }>;
}
interface Drivers {
  options: { type: string };
  databaseConnection: SqliteConnection;
  master: PgPool;
  /** The pg module TypeORM loaded. */
  postgres: { types: PgTypes };
}

/** pg's oid of timestamptz, the type of every timestamp column on PostgreSQL (column-types.ts). */
const TIMESTAMPTZ_OID = 1184;

/**
 * node-postgres's own type parsers, but for timestamptz in its usual text form: every token
 * check reads eight of them, and postgres-date's parse was a tenth of its CPU (pgTimestamptz).
 * Passed per query (node-postgres's `types` query option), so nothing else changes.
 */
function hotQueryTypes(base: PgTypes): PgTypes {
  const general = base.getTypeParser(TIMESTAMPTZ_OID, 'text');
  const timestamptz = (raw: string) => pgTimestamptz(raw) ?? general(raw);
  return {
    getTypeParser: (oid, format = 'text') => (oid === TIMESTAMPTZ_OID && format === 'text' ? timestamptz : base.getTypeParser(oid, format)),
  };
}

/**
 * A read that runs on every authenticated request (the session lookup, the entitlement
 * reads), prepared once: on SQLite a better-sqlite3 statement on TypeORM's one connection
 * (the same connection TypeORM itself would use, so an open transaction's writes are
 * seen as before); on PostgreSQL a named statement on TypeORM's pool, parsed and planned
 * once per pooled connection, or the transaction's own connection inside one.
 *
 * TypeORM's `manager.query()` builds a query-runner result, a broadcaster event and a
 * statement-cache lookup on every call: half the allocation of the session lookup, and
 * under load allocation is what costs (bench/README.md, "Where the time goes").
 */
export class HotQuery {
  private statement?: SqliteStatement;
  private arrayStatement?: SqliteStatement;
  private pgTypes?: PgTypes;

  constructor(
    private readonly dataSource: DataSource,
    /** The PostgreSQL statement name (unique per SQL text). */
    readonly name: string,
    readonly sql: string,
  ) {}

  async rows(manager: EntityManager, params: unknown[]): Promise<Row[]> {
    const driver = this.dataSource.driver as unknown as Drivers;
    if (driver.options.type === 'better-sqlite3') {
      this.statement ??= driver.databaseConnection.prepare(this.sql);
      return this.statement.all(...params) as Row[];
    }
    if (manager.queryRunner) return (await manager.query(this.sql, params)) as Row[];
    this.pgTypes ??= hotQueryTypes(driver.postgres.types);
    return (await driver.master.query({ name: this.name, text: this.sql, values: params, types: this.pgTypes })).rows as Row[];
  }

  /**
   * The same rows as arrays of the selected values, in select order: no object with a key
   * per column is built (for the wide row of the token check, two thirds of the cost of
   * reading it).
   */
  async arrays(manager: EntityManager, params: unknown[]): Promise<unknown[][]> {
    const driver = this.dataSource.driver as unknown as Drivers;
    if (driver.options.type === 'better-sqlite3') {
      this.arrayStatement ??= driver.databaseConnection.prepare(this.sql).raw(true);
      return this.arrayStatement.all(...params) as unknown[][];
    }
    // Inside a transaction: its own connection, through TypeORM (keys come in select order).
    if (manager.queryRunner) return ((await manager.query(this.sql, params)) as Row[]).map((row) => Object.values(row));
    this.pgTypes ??= hotQueryTypes(driver.postgres.types);
    return (await driver.master.query({ name: this.name, text: this.sql, values: params, rowMode: 'array', types: this.pgTypes })).rows as unknown[][];
  }
}
