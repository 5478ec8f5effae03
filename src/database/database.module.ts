import { Global, Logger, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration';
import { buildDataSourceOptions, runMigrations } from './data-source';
import { SerializedTypeOrmAdapter } from './serialized-typeorm.adapter';
import { UnitOfWork } from './unit-of-work';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (db: ConfigType<typeof databaseConfig>) => buildDataSourceOptions(db),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        const settings = databaseConfig();
        if (settings.migrationsRun) {
          const applied = await runMigrations(dataSource);
          if (applied.length) new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
        }
        return dataSource;
      },
    }),
    ClsModule.forRoot({
      global: true,
      // No per-request middleware: a context is opened only where one is needed (the
      // audit interceptor of a write route, or a transaction), so reads pay nothing.
      middleware: { mount: false },
      plugins: [
        new ClsPluginTransactional({
          imports: [TypeOrmModule],
          adapter: new SerializedTypeOrmAdapter({ dataSourceToken: DataSource }),
        }),
      ],
    }),
  ],
  providers: [UnitOfWork],
  exports: [UnitOfWork],
})
export class DatabaseModule {}
