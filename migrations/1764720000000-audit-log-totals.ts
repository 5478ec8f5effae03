import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { columnTypesFor } from '../src/database/column-types';

/**
 * `audit_log_totals`: each user's number of audit events per action, kept by triggers on
 * `audit_logs`, so that an audit page reads its `total` from at most one row per action
 * instead of counting the log (a COUNT costs in proportion to the user's log, on every page).
 *
 * The triggers run in the writer's transaction: an event and its count commit or roll back
 * together, whoever writes the rows. PostgreSQL uses statement triggers with transition
 * tables (one upsert per statement and (user, action), taken in key order, whatever the
 * number of rows); SQLite has only row triggers. An event's subject and action are fixed
 * once written (a third trigger refuses to change them), so insert and delete are the only
 * changes to follow. The existing events are counted once, here, under a lock that holds
 * writers back until the migration commits.
 *
 * On SQLite, TypeORM rebuilds a table to alter it (copy, drop, rename), which drops its
 * triggers: a later migration that alters `audit_logs` there must create them again.
 */
export class AuditLogTotals1764720000000 implements MigrationInterface {
  name = 'AuditLogTotals1764720000000';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    const t = columnTypesFor(postgres ? 'postgres' : 'sqlite');
    await q.createTable(
      new Table({
        name: 'audit_log_totals',
        columns: [
          { name: 'user_id', type: t.uuid as string, length: t.uuidLength, isPrimary: true },
          { name: 'action', type: 'varchar', length: '64', isPrimary: true },
          { name: 'total', type: 'integer' },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_audit_log_totals_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    if (postgres) {
      // Schema-qualified, so the functions never depend on the caller's search_path.
      const [{ schema }] = (await q.query('SELECT current_schema() AS schema')) as Array<{ schema: string }>;
      const s = `"${schema.replace(/"/g, '""')}"`;
      await q.query(`LOCK TABLE ${s}.audit_logs IN SHARE ROW EXCLUSIVE MODE`);
      await q.query(`
        CREATE FUNCTION ${s}.audit_log_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO ${s}.audit_log_totals AS t (user_id, action, total)
            SELECT user_id, action, count(*) FROM added WHERE user_id IS NOT NULL
            GROUP BY user_id, action ORDER BY user_id, action
          ON CONFLICT (user_id, action) DO UPDATE SET total = t.total + EXCLUDED.total;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE FUNCTION ${s}.audit_log_totals_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE ${s}.audit_log_totals t SET total = t.total - r.n
            FROM (SELECT user_id, action, count(*) AS n FROM removed WHERE user_id IS NOT NULL GROUP BY user_id, action) r
            WHERE t.user_id = r.user_id AND t.action = r.action;
          DELETE FROM ${s}.audit_log_totals t USING (SELECT DISTINCT user_id, action FROM removed) r
            WHERE t.user_id = r.user_id AND t.action = r.action AND t.total <= 0;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE FUNCTION ${s}.audit_logs_subject_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_logs.user_id and audit_logs.action are fixed once written';
        END $$`);
      await q.query(
        `CREATE TRIGGER audit_log_totals_add AFTER INSERT ON ${s}.audit_logs REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_log_totals_add()`,
      );
      await q.query(
        `CREATE TRIGGER audit_log_totals_remove AFTER DELETE ON ${s}.audit_logs REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_log_totals_remove()`,
      );
      await q.query(
        `CREATE TRIGGER audit_logs_subject_fixed BEFORE UPDATE OF user_id, action ON ${s}.audit_logs FOR EACH ROW ` +
          `WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.action IS DISTINCT FROM NEW.action) EXECUTE FUNCTION ${s}.audit_logs_subject_fixed()`,
      );
    } else {
      await q.query(`
        CREATE TRIGGER audit_log_totals_add AFTER INSERT ON audit_logs WHEN NEW.user_id IS NOT NULL BEGIN
          INSERT INTO audit_log_totals (user_id, action, total) VALUES (NEW.user_id, NEW.action, 1)
            ON CONFLICT (user_id, action) DO UPDATE SET total = total + 1;
        END`);
      await q.query(`
        CREATE TRIGGER audit_log_totals_remove AFTER DELETE ON audit_logs WHEN OLD.user_id IS NOT NULL BEGIN
          UPDATE audit_log_totals SET total = total - 1 WHERE user_id = OLD.user_id AND action = OLD.action;
          DELETE FROM audit_log_totals WHERE user_id = OLD.user_id AND action = OLD.action AND total <= 0;
        END`);
      await q.query(`
        CREATE TRIGGER audit_logs_subject_fixed BEFORE UPDATE OF user_id, action ON audit_logs
          WHEN OLD.user_id IS NOT NEW.user_id OR OLD.action IS NOT NEW.action BEGIN
          SELECT RAISE(ABORT, 'audit_logs.user_id and audit_logs.action are fixed once written');
        END`);
    }
    // SQLite's migration transaction holds the database's write lock already.
    await q.query(
      'INSERT INTO audit_log_totals (user_id, action, total) ' +
        'SELECT user_id, action, COUNT(*) FROM audit_logs WHERE user_id IS NOT NULL GROUP BY user_id, action',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    for (const trigger of ['audit_log_totals_add', 'audit_log_totals_remove', 'audit_logs_subject_fixed']) {
      await q.query(postgres ? `DROP TRIGGER ${trigger} ON audit_logs` : `DROP TRIGGER ${trigger}`);
      if (postgres) await q.query(`DROP FUNCTION ${trigger}()`);
    }
    await q.dropTable('audit_log_totals');
  }
}
