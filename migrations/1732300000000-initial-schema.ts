import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableForeignKey, TableIndex } from 'typeorm';
import { columnTypesFor } from '../src/database/column-types';

/**
 * The whole first schema, written with TypeORM's schema API so that this one file
 * serves SQLite and PostgreSQL (their uuid, timestamp and JSON types differ).
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypesFor(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const uuid = (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: t.uuid as string,
      length: t.uuidLength,
      ...extra,
    });
    const id = uuid('id', { isPrimary: true });
    const ts = (name: string, nullable = false): TableColumnOptions => ({ name, type: t.timestamp as string, isNullable: nullable });
    const str = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      ...extra,
    });
    const bool = (name: string, value: boolean): TableColumnOptions => ({ name, type: 'boolean', default: t.boolDefault(value) });
    const json = (name: string): TableColumnOptions => ({ name, type: t.jsonDdl, isNullable: true });
    const userFk = (table: string) =>
      new TableForeignKey({
        name: `FK_${table}_user`,
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });

    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id,
          str('email', 254),
          str('password_hash', 100),
          str('display_name', 100, { isNullable: true }),
          str('avatar', 2048, { isNullable: true }),
          str('role', 16, { default: "'user'" }),
          bool('two_factor_enabled', false),
          str('two_factor_secret', 255, { isNullable: true }),
          str('two_factor_pending_secret', 255, { isNullable: true }),
          { name: 'last_totp_step', type: 'integer', default: 0 },
          bool('banned', false),
          bool('disabled', false),
          uuid('banned_by', { isNullable: true }),
          str('ban_reason', 500, { isNullable: true }),
          ts('banned_at', true),
          ts('banned_until', true),
          str('custom_domain', 253, { isNullable: true }),
          bool('custom_domain_verified', false),
          str('polar_customer_id', 100, { isNullable: true }),
          ts('created_at'),
          ts('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_users_email', columnNames: ['email'], isUnique: true }),
          new TableIndex({ name: 'UQ_users_custom_domain', columnNames: ['custom_domain'], isUnique: true }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          id,
          uuid('user_id'),
          str('jti_hash', 64),
          str('ip_encrypted', 255, { isNullable: true }),
          str('ip_index', 64, { isNullable: true }),
          str('user_agent', 512, { isNullable: true }),
          ts('created_at'),
          ts('last_used_at'),
          ts('expires_at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_sessions_user_ip', columnNames: ['user_id', 'ip_index'] }),
          new TableIndex({ name: 'IDX_sessions_expires_at', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [userFk('sessions')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [id, uuid('user_id'), str('code_hash', 64), ts('created_at')],
        indices: [new TableIndex({ name: 'UQ_recovery_codes_user_hash', columnNames: ['user_id', 'code_hash'], isUnique: true })],
        foreignKeys: [userFk('recovery_codes')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'pending_logins',
        columns: [
          str('jti_hash', 64, { isPrimary: true }),
          uuid('user_id'),
          { name: 'failed_attempts', type: 'integer', default: 0 },
          ts('spent_at', true),
          ts('expires_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_pending_logins_expires_at', columnNames: ['expires_at'] })],
        foreignKeys: [userFk('pending_logins')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'audit_logs',
        columns: [id, uuid('user_id', { isNullable: true }), uuid('actor_id', { isNullable: true }), str('action', 64), json('data'), ts('created_at')],
        indices: [
          new TableIndex({ name: 'IDX_audit_logs_user_created', columnNames: ['user_id', 'created_at', 'id'] }),
          new TableIndex({ name: 'IDX_audit_logs_user_action_created', columnNames: ['user_id', 'action', 'created_at', 'id'] }),
        ],
        foreignKeys: [userFk('audit_logs')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'deletion_ledger',
        columns: [id, uuid('user_id'), str('action', 64), str('email_hmac', 64), ts('deleted_at')],
        indices: [new TableIndex({ name: 'IDX_deletion_ledger_user', columnNames: ['user_id'] })],
      }),
    );

    await q.createTable(
      new Table({
        name: 'service_entitlements',
        columns: [
          id,
          uuid('user_id'),
          str('service', 16),
          str('tier', 32, { default: "'free'" }),
          bool('is_premium', false),
          bool('connected', true),
          json('access_flags'),
          json('metadata'),
          { name: 'custom_storage_limit', type: 'integer', isNullable: true },
          { name: 'custom_api_key_limit', type: 'integer', isNullable: true },
          str('polar_subscription_id', 100, { isNullable: true }),
          str('polar_subscription_status', 32, { isNullable: true }),
          ts('created_at'),
          ts('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_service_entitlements_user_service', columnNames: ['user_id', 'service'], isUnique: true }),
          new TableIndex({ name: 'IDX_service_entitlements_subscription', columnNames: ['polar_subscription_id'] }),
        ],
        foreignKeys: [userFk('service_entitlements')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'webhook_events',
        columns: [str('id', 255, { isPrimary: true }), str('service', 16), str('type', 64), ts('received_at')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'cancellation_outbox',
        columns: [
          id,
          str('subscription_id', 100),
          str('status', 16, { default: "'pending'" }),
          { name: 'attempts', type: 'integer', default: 0 },
          ts('next_attempt_at'),
          ts('claimed_until', true),
          str('claimed_by', 64, { isNullable: true }),
          str('last_error', 500, { isNullable: true }),
          ts('created_at'),
          ts('updated_at'),
          ts('done_at', true),
        ],
        indices: [new TableIndex({ name: 'IDX_cancellation_outbox_due', columnNames: ['status', 'next_attempt_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'cancellation_outbox',
      'webhook_events',
      'service_entitlements',
      'deletion_ledger',
      'audit_logs',
      'pending_logins',
      'recovery_codes',
      'sessions',
      'users',
    ]) {
      await q.dropTable(table);
    }
  }
}
