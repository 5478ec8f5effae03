import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { DataSource } from 'typeorm';

/**
 * TypeORM's better-sqlite3 driver has ONE connection (one query runner). Two
 * overlapping `dataSource.transaction()` calls would silently nest as savepoints of
 * each other, so on SQLite transactions are queued one after another (spec, Storage).
 * PostgreSQL uses the pool and is left alone.
 */
export class SerializedTypeOrmAdapter extends TransactionalAdapterTypeOrm {
  constructor(options: { dataSourceToken: unknown }) {
    super(options);
    const original = this.optionsFactory;
    this.optionsFactory = (dataSource: DataSource) => {
      const options = original(dataSource);
      if (dataSource.options.type !== 'better-sqlite3') return options;
      let tail: Promise<unknown> = Promise.resolve();
      const wrap = options.wrapWithTransaction;
      options.wrapWithTransaction = (txOptions, fn, setClient) => {
        const turn = tail.then(() => wrap(txOptions, fn, setClient));
        tail = turn.catch(() => undefined);
        return turn;
      };
      return options;
    };
  }
}
