import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { TRIGGERS as ENTITLEMENT_TRIGGERS } from '../migrations/1764900000000-user-entitlements-json';
import { AuditLogTotal } from '../src/audit/entities/audit-log-total.entity';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { User } from '../src/auth/entities/user.entity';
import type { ServiceName } from '../src/common/services';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import { databaseConfig } from '../src/config/configuration';
import { buildDataSourceOptions, runMigrations } from '../src/database/data-source';
import { createTestApp, dropSchema } from './support/test-app';

const MIGRATION_NAMES = MIGRATIONS.map((m) => m.name);

/** Undoes the last migrations, down to and including `name`. */
async function undoUntil(dataSource: DataSource, name: string): Promise<void> {
  const count = MIGRATION_NAMES.length - MIGRATION_NAMES.indexOf(name);
  for (let i = 0; i < count; i++) await dataSource.undoLastMigration({ transaction: 'each' });
}

describe('Migrations', () => {
  afterAll(() => dropSchema());

  it('produce exactly the schema the entities describe (no drift), on this database', async () => {
    // Booting the app runs the migrations (MIGRATIONS_RUN defaults to true).
    const t = await createTestApp();
    await t.close();
    const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      // Running again applies nothing: every migration is recorded.
      expect(await runMigrations(dataSource)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('leave every trigger the service relies on in place (a later table rebuild on SQLite drops them silently)', async () => {
    const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
    try {
      const rows = (await dataSource.query(
        dataSource.options.type === 'postgres'
          ? 'SELECT DISTINCT trigger_name AS name FROM information_schema.triggers WHERE event_object_schema = current_schema()'
          : "SELECT name FROM sqlite_master WHERE type = 'trigger'",
      )) as Array<{ name: string }>;
      expect(rows.map((r) => r.name).sort()).toEqual(
        ['audit_log_totals_add', 'audit_log_totals_remove', 'audit_logs_subject_fixed', ...ENTITLEMENT_TRIGGERS].sort(),
      );
    } finally {
      await dataSource.destroy();
    }
  });

  it('can be undone and redone (down() is real)', async () => {
    const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
    try {
      for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(n)).toBe(0);
      expect(await runMigrations(dataSource)).toHaveLength(MIGRATIONS.length);
    } finally {
      await dataSource.destroy();
    }
  });

  it('AuditLogTotals counts the events that were there before it, and keeps counting after', async () => {
    const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
    try {
      await undoUntil(dataSource, 'AuditLogTotals1764720000000');
      const users = dataSource.getRepository(User);
      const user = users.create({ email: `totals.${Date.now()}@example.com`, passwordHash: 'x', createdAt: new Date(), updatedAt: new Date() });
      await users.insert(user);
      const logs = dataSource.getRepository(AuditLog);
      const event = (userId: string | null, action: AuditLog['action']) => logs.create({ userId, actorId: userId, action, data: {}, createdAt: new Date() });
      await logs.insert([event(user.id, 'USER_LOGIN'), event(user.id, 'USER_LOGIN'), event(user.id, 'USER_UPDATE'), event(null, 'LOGIN_FAILED')]);

      expect(await runMigrations(dataSource)).toEqual(MIGRATION_NAMES.slice(MIGRATION_NAMES.indexOf('AuditLogTotals1764720000000')));
      const totals = async () =>
        Object.fromEntries((await dataSource.getRepository(AuditLogTotal).find({ where: { userId: user.id } })).map((r) => [r.action, Number(r.total)]));
      expect(await totals()).toEqual({ USER_LOGIN: 2, USER_UPDATE: 1 });
      await logs.insert(event(user.id, 'USER_LOGIN'));
      expect(await totals()).toEqual({ USER_LOGIN: 3, USER_UPDATE: 1 });
      await users.delete({ id: user.id });
      expect(await totals()).toEqual({});
    } finally {
      await dataSource.destroy();
    }
  });

  it('UserEntitlementsJson fills the column for the entitlements that were there before it, and keeps it after', async () => {
    const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
    try {
      await undoUntil(dataSource, 'UserEntitlementsJson1764900000000');
      const users = dataSource.getRepository(User);
      const at = new Date('2026-06-01T12:00:00.000Z');
      const user = (email: string) => users.create({ email: `${email}.${Date.now()}@example.com`, passwordHash: 'x', createdAt: at, updatedAt: at });
      const holder = user('holder');
      const empty = user('empty');
      await users.insert([holder, empty]);
      const entitlements = dataSource.getRepository(Entitlement);
      const entitlement = (service: ServiceName, createdAt: Date) =>
        entitlements.create({ userId: holder.id, service, tier: 'free', isPremium: service === 'VAULT', connected: true, createdAt, updatedAt: createdAt });
      await entitlements.insert([entitlement('VAULT', at), entitlement('DROP', new Date('2026-01-01T00:00:00.000Z'))]);

      expect(await runMigrations(dataSource)).toEqual(['UserEntitlementsJson1764900000000']);
      const column = async (id: string) => {
        const row = await users.findOneOrFail({ select: { id: true, entitlementsJson: true }, where: { id } });
        return row.entitlementsJson === null ? null : (JSON.parse(row.entitlementsJson!) as Array<Record<string, unknown>>);
      };
      expect(await column(empty.id)).toBeNull();
      const filled = await column(holder.id);
      expect(filled?.map((e) => [e.service, e.isPremium, e.createdAt, e.accessFlags])).toEqual([
        ['DROP', false, '2026-01-01T00:00:00.000Z', {}],
        ['VAULT', true, '2026-06-01T12:00:00.000Z', {}],
      ]);
      await entitlements.insert(entitlement('DB', new Date('2026-07-01T00:00:00.000Z')));
      expect((await column(holder.id))?.map((e) => e.service)).toEqual(['DROP', 'VAULT', 'DB']);
      await entitlements.delete({ userId: holder.id });
      expect(await column(holder.id)).toBeNull();
      await users.delete({ id: holder.id });
      await users.delete({ id: empty.id });
    } finally {
      await dataSource.destroy();
    }
  });
});
