import type { DataSource } from 'typeorm';
import { Col } from '../database/column-types';
import { rawEntityReader, RawEntityReader } from '../database/raw-entity';
import { Entitlement } from './entities/entitlement.entity';

/**
 * A user's entitlements as one column of the statement that checks a token
 * (SessionService.findLive): /auth/me, /auth/verify and /connect/check answer from it, so
 * a token check is one statement (one round trip on PostgreSQL), not two.
 */
export class UserEntitlementsColumn {
  private readonly reader: RawEntityReader<Entitlement>;
  private readonly sql: string;
  /** PostgreSQL's JSON carries timestamps as ISO 8601 text, where its rows carried Dates. */
  private readonly timestampKeys: string[];

  constructor(dataSource: DataSource) {
    this.reader = rawEntityReader(dataSource, Entitlement, 'e');
    this.timestampKeys =
      dataSource.options.type === 'postgres'
        ? dataSource
            .getMetadata(Entitlement)
            .columns.filter((c) => c.type === Col.timestamp)
            .map((c) => this.reader.keyOf(c.propertyName))
        : [];
    const order = 'ORDER BY e.created_at ASC, e.service ASC';
    // Each element has the keys of a plain row (e_id, e_user_id, …), so it is read as one.
    this.sql =
      dataSource.options.type === 'postgres'
        ? `SELECT COALESCE(json_agg(json_build_object(${this.reader.jsonPairs}) ${order}), '[]'::json) FROM service_entitlements e`
        : `SELECT json_group_array(json_object(${this.reader.jsonPairs}) ${order}) FROM service_entitlements e`;
  }

  /** The subquery for the user of alias `userAlias`, as column `as`. */
  select(userAlias: string, as: string): string {
    return `(${this.sql} WHERE e.user_id = ${userAlias}.id) AS "${as}"`;
  }

  /** The entitlements from that column (PostgreSQL hands back parsed JSON, SQLite its text). */
  read(value: unknown): Entitlement[] {
    const rows = (typeof value === 'string' ? JSON.parse(value) : value) as Array<Record<string, unknown>> | null;
    return (rows ?? []).map((row) => {
      for (const key of this.timestampKeys) if (typeof row[key] === 'string') row[key] = new Date(row[key]);
      return this.reader.read(row);
    });
  }
}
