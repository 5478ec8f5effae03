import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { AuditLogTotal } from '../src/audit/entities/audit-log-total.entity';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { User } from '../src/auth/entities/user.entity';
import { databaseConfig } from '../src/config/configuration';
import { buildDataSourceOptions, runMigrations } from '../src/database/data-source';
import { createTestApp, dropSchema } from './support/test-app';

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
      await dataSource.undoLastMigration({ transaction: 'each' });
      const users = dataSource.getRepository(User);
      const user = users.create({ email: `totals.${Date.now()}@example.com`, passwordHash: 'x', createdAt: new Date(), updatedAt: new Date() });
      await users.insert(user);
      const logs = dataSource.getRepository(AuditLog);
      const event = (userId: string | null, action: AuditLog['action']) => logs.create({ userId, actorId: userId, action, data: {}, createdAt: new Date() });
      await logs.insert([event(user.id, 'USER_LOGIN'), event(user.id, 'USER_LOGIN'), event(user.id, 'USER_UPDATE'), event(null, 'LOGIN_FAILED')]);

      expect(await runMigrations(dataSource)).toEqual(['AuditLogTotals1764720000000']);
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
});
