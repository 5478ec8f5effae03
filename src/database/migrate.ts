import 'reflect-metadata';
import '../config/load-env';
import { DataSource } from 'typeorm';
import { ConfigError, databaseConfig, validateAllConfig } from '../config/configuration';
import { buildDataSourceOptions, runMigrations } from './data-source';

/** `npm run migration:run`: apply pending migrations once, before rolling out instances. */
async function main(): Promise<void> {
  validateAllConfig();
  const dataSource = await new DataSource(buildDataSourceOptions(databaseConfig())).initialize();
  try {
    const applied = await runMigrations(dataSource);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exit(1);
});
