import { DataSource } from 'typeorm';
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
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await dataSource.query('SELECT COUNT(*) AS n FROM migrations')).toEqual([{ n: expect.anything() }]);
      const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(n)).toBe(0);
      expect(await runMigrations(dataSource)).toHaveLength(1);
    } finally {
      await dataSource.destroy();
    }
  });
});
