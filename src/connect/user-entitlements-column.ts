import type { DataSource } from 'typeorm';
import { Col } from '../database/column-types';
import type { EntitlementDto } from './dto/entitlement.dto';
import { Entitlement } from './entities/entitlement.entity';

/** Each key of the contract's entitlement JSON, and the entity property it comes from. */
const DTO_PROPERTIES: { [K in keyof EntitlementDto]-?: keyof Entitlement } = {
  id: 'id',
  userId: 'userId',
  service: 'service',
  tier: 'tier',
  isPremium: 'isPremium',
  connected: 'connected',
  accessFlags: 'accessFlags',
  metadata: 'metadata',
  customStorageLimit: 'customStorageLimit',
  customApiKeyLimit: 'customApiKeyLimit',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
};

/**
 * A user's entitlements as one column of the statement that checks a token
 * (SessionService.findLive): /auth/me, /auth/verify and /connect/check answer from it, so
 * a token check is one statement (one round trip on PostgreSQL), not two.
 *
 * The database writes each element in the contract's shape (toEntitlementDto's): timestamps
 * as `toISOString()` writes them, booleans as JSON booleans, absent flags and metadata as
 * `{}`. The request then reads one JSON text, with no entity, Date or mapping in between
 * (bench/README.md, "tenth pass"); test/entitlements-column.e2e-spec.ts holds both forms equal.
 */
export class UserEntitlementsColumn {
  private readonly sql: string;

  constructor(dataSource: DataSource) {
    const postgres = dataSource.options.type === 'postgres';
    const metadata = dataSource.getMetadata(Entitlement);
    const value = (property: keyof Entitlement): string => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`Entitlement has no column ${property}`);
      const at = `e.${dataSource.driver.escape(column.databaseName)}`;
      if (column.type === Col.timestamp) {
        if (postgres) return `to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
        // TypeORM's own form ("2026-12-02 10:27:56.695", UTC) is rearranged, as sqliteTimestampIso
        // does in JS; strftime, which costs a microsecond a value more, takes any other.
        return `CASE WHEN length(${at}) = 23 THEN replace(${at}, ' ', 'T') || 'Z' ELSE strftime('%Y-%m-%dT%H:%M:%fZ', ${at}) END`;
      }
      if (column.type === Col.json) {
        return postgres ? `COALESCE(NULLIF(${at}, 'null'::jsonb), '{}'::jsonb)` : `json(COALESCE(NULLIF(${at}, 'null'), '{}'))`;
      }
      // SQLite keeps booleans as 0 and 1; json() makes the text a JSON value, not a string.
      if (column.type === 'boolean' && !postgres) return `json(CASE WHEN ${at} THEN 'true' ELSE 'false' END)`;
      return at;
    };
    const pairs = Object.entries(DTO_PROPERTIES)
      .map(([key, property]) => `'${key}', ${value(property)}`)
      .join(', ');
    const order = 'ORDER BY e.created_at ASC, e.service ASC';
    this.sql = postgres
      ? `SELECT COALESCE(json_agg(json_build_object(${pairs}) ${order}), '[]'::json) FROM service_entitlements e`
      : `SELECT json_group_array(json_object(${pairs}) ${order}) FROM service_entitlements e`;
  }

  /** The subquery for the user of alias `userAlias`, as column `as`. */
  select(userAlias: string, as: string): string {
    return `(${this.sql} WHERE e.user_id = ${userAlias}.id) AS "${as}"`;
  }

  /** The entitlements from that column (PostgreSQL hands back parsed JSON, SQLite its text). */
  read(value: unknown): EntitlementDto[] {
    return ((typeof value === 'string' ? JSON.parse(value) : value) as EntitlementDto[] | null) ?? [];
  }
}
