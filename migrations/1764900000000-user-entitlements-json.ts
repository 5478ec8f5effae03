import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.entitlements_json`: each user's entitlements as the JSON text the token check
 * answers with (/auth/me, /auth/verify, /connect/check), kept by triggers on
 * `service_entitlements`, so the statement on every authenticated request reads one column
 * instead of aggregating the user's entitlements each time (bench/README.md, "eleventh pass").
 *
 * The text is what toEntitlementDto makes of each row, in the order EntitlementService.list
 * answers (created_at, then service): timestamps as `toISOString()` writes them, JSON
 * booleans, `{}` for absent or JSON-null flags and metadata. NULL means no entitlements.
 * test/entitlements-column.e2e-spec.ts holds the column equal to GET /api/services after
 * every kind of write. A later migration that changes service_entitlements' columns or
 * toEntitlementDto must replace the functions and triggers here, and refill the column.
 *
 * The triggers run in the writer's transaction, whoever writes the rows: an entitlement
 * and the column commit or roll back together.
 * - PostgreSQL: statement triggers with transition tables (one refresh per statement,
 *   whatever the number of rows). Each first locks the users it refreshes, in id order
 *   (FOR NO KEY UPDATE: the foreign key's KEY SHARE locks of concurrent writers do not
 *   block it), then refreshes them in a new statement, whose snapshot sees every
 *   transaction that held the lock before. Without the lock, two transactions adding
 *   entitlements to one user at once could each write a list without the other's.
 * - SQLite: row triggers; SQLite runs one write transaction at a time.
 * On SQLite, TypeORM rebuilds a table to alter it (copy, drop, rename): see createSqliteTriggers
 * for what a later migration that alters `users` or `service_entitlements` there must do.
 */
export class UserEntitlementsJson1764900000000 implements MigrationInterface {
  name = 'UserEntitlementsJson1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    await q.query('ALTER TABLE users ADD COLUMN entitlements_json text');
    if (postgres) {
      // Schema-qualified, so the functions never depend on the caller's search_path.
      const [{ schema }] = (await q.query('SELECT current_schema() AS schema')) as Array<{ schema: string }>;
      const s = `"${schema.replace(/"/g, '""')}"`;
      await q.query(`LOCK TABLE ${s}.service_entitlements IN SHARE ROW EXCLUSIVE MODE`);
      // One function and trigger per kind of change: each names the transition tables it has.
      const triggers: Array<[event: string, tables: string, users: string]> = [
        ['INSERT', 'NEW TABLE AS added', 'added'],
        ['DELETE', 'OLD TABLE AS removed', 'removed'],
        ['UPDATE', 'OLD TABLE AS removed NEW TABLE AS added', '(SELECT user_id FROM removed UNION SELECT user_id FROM added) c'],
      ];
      for (const [i, [event, tables, users]] of triggers.entries()) {
        const name = TRIGGERS[i];
        await q.query(`
          CREATE FUNCTION ${s}.${name}() RETURNS trigger LANGUAGE plpgsql AS $$
          DECLARE ids uuid[];
          BEGIN
            SELECT array_agg(DISTINCT user_id) INTO ids FROM ${users};
            PERFORM 1 FROM ${s}.users WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
            UPDATE ${s}.users u SET entitlements_json = (${entitlementsOf('u', true, s)}) WHERE u.id = ANY(ids);
            RETURN NULL;
          END $$`);
        await q.query(
          `CREATE TRIGGER ${name} AFTER ${event} ON ${s}.service_entitlements REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.${name}()`,
        );
      }
    } else {
      await createSqliteTriggers(q);
    }
    // The users that hold entitlements already (PostgreSQL: writers wait for the lock above;
    // SQLite's migration transaction holds the database's write lock).
    await q.query(
      `UPDATE users SET entitlements_json = (${entitlementsOf('users', postgres)}) ` +
        'WHERE id IN (SELECT user_id FROM service_entitlements)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      for (const trigger of TRIGGERS) {
        await q.query(`DROP TRIGGER ${trigger} ON service_entitlements`);
        await q.query(`DROP FUNCTION ${trigger}()`);
      }
    } else {
      await dropSqliteTriggers(q);
    }
    await q.query('ALTER TABLE users DROP COLUMN entitlements_json');
  }
}

/** The triggers on service_entitlements that keep users.entitlements_json (and, on PostgreSQL, their functions): on insert, delete, update. */
export const TRIGGERS = ['users_entitlements_json_added', 'users_entitlements_json_removed', 'users_entitlements_json_changed'];

/**
 * SQLite's triggers. A later SQLite migration that rebuilds `users` or `service_entitlements`
 * through TypeORM (copy, drop, rename) must drop them first and create them again after, as
 * SQLite's own procedure for other schema changes says: the rebuild's rename refuses while a
 * trigger names a table that is gone ("error in trigger users_entitlements_json_added: no such
 * table: main.users"), and a rebuild of service_entitlements drops them without a word. The
 * migrations test lists the triggers that must exist after every migration.
 */
export async function createSqliteTriggers(q: QueryRunner): Promise<void> {
  const refresh = (where: string) => `UPDATE users SET entitlements_json = (${entitlementsOf('users', false)}) WHERE ${where};`;
  const events: Array<[event: string, where: string]> = [
    ['INSERT', 'id = NEW.user_id'],
    ['DELETE', 'id = OLD.user_id'],
    ['UPDATE', 'id IN (OLD.user_id, NEW.user_id)'],
  ];
  for (const [i, [event, where]] of events.entries()) {
    await q.query(`CREATE TRIGGER ${TRIGGERS[i]} AFTER ${event} ON service_entitlements BEGIN ${refresh(where)} END`);
  }
}

export async function dropSqliteTriggers(q: QueryRunner): Promise<void> {
  for (const trigger of TRIGGERS) await q.query(`DROP TRIGGER ${trigger}`);
}

/** The entitlement columns, in the contract's key order (EntitlementDto), and how each is written. */
const KEYS: ReadonlyArray<[key: string, column: string, kind?: 'timestamp' | 'json' | 'boolean']> = [
  ['id', 'id'],
  ['userId', 'user_id'],
  ['service', 'service'],
  ['tier', 'tier'],
  ['isPremium', 'is_premium', 'boolean'],
  ['connected', 'connected', 'boolean'],
  ['accessFlags', 'access_flags', 'json'],
  ['metadata', 'metadata', 'json'],
  ['customStorageLimit', 'custom_storage_limit'],
  ['customApiKeyLimit', 'custom_api_key_limit'],
  ['createdAt', 'created_at', 'timestamp'],
  ['updatedAt', 'updated_at', 'timestamp'],
];

/**
 * A subquery: the JSON text of the entitlements of the user of alias `user` (NULL for none).
 * Exported for bench/explain.ts, which records its plan.
 */
export function entitlementsOf(user: string, postgres: boolean, schema?: string): string {
  const value = (column: string, kind?: string): string => {
    const at = `e.${column}`;
    if (kind === 'timestamp') {
      if (postgres) return `to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      // TypeORM's own form ("2026-12-02 10:27:56.695", UTC) is rearranged, as sqliteTimestampIso
      // does in JS; strftime takes any other form.
      return `CASE WHEN length(${at}) = 23 THEN replace(${at}, ' ', 'T') || 'Z' ELSE strftime('%Y-%m-%dT%H:%M:%fZ', ${at}) END`;
    }
    if (kind === 'json') return postgres ? `COALESCE(NULLIF(${at}, 'null'::jsonb), '{}'::jsonb)` : `json(COALESCE(NULLIF(${at}, 'null'), '{}'))`;
    // SQLite keeps booleans as 0 and 1; json() makes the text a JSON value, not a string.
    if (kind === 'boolean' && !postgres) return `json(CASE WHEN ${at} THEN 'true' ELSE 'false' END)`;
    return at;
  };
  const pairs = KEYS.map(([key, column, kind]) => `'${key}', ${value(column, kind)}`).join(', ');
  const order = 'ORDER BY e.created_at ASC, e.service ASC';
  const table = schema ? `${schema}.service_entitlements` : 'service_entitlements';
  return postgres
    ? `SELECT json_agg(json_build_object(${pairs}) ${order})::text FROM ${table} e WHERE e.user_id = ${user}.id`
    : `SELECT NULLIF(json_group_array(json_object(${pairs}) ${order}), '[]') FROM ${table} e WHERE e.user_id = ${user}.id`;
}
